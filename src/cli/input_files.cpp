// --input NAME=FILE, shared by run (which binds the files) and sweep (which checks them before any point
// runs).
#include <fmt/format.h>

#include "commands.h"
#include "ntp/status.h"

namespace ntp::cli {

std::vector<InputData> input_files(const std::vector<std::string>& bindings) {
  std::vector<InputData> inputs;
  for (const std::string& text : bindings) {
    const auto equals = text.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
      throw UserError(kCommandLine, fmt::format("--input '{}' is not of the form name=file", text),
                      "write --input features=features.npy or --input audio=speech.wav");
    inputs.push_back({text.substr(0, equals), text.substr(equals + 1), std::nullopt});
  }
  return inputs;
}

}  // namespace ntp::cli
