#include "output.h"

#include "io/files.h"

namespace ntp::cli {

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-")
    io::write_stdout(text);
  else
    io::write_file(path, text);
}

}  // namespace ntp::cli
