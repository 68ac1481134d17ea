#include "output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "ntp/status.h"

namespace ntp::cli {

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return;
  }
  const std::string temporary = fmt::format("{}.tmp{}", path, ::getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      file.close();
      std::remove(temporary.c_str());
      throw UserError({path, 0, 0}, "cannot write the output file",
                      "check that its folder exists and is writable");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::remove(temporary.c_str());
    throw UserError({path, 0, 0}, fmt::format("cannot write the output file: {}", error.message()));
  }
}

}  // namespace ntp::cli
