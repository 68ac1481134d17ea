// Writing results: to stdout (checked), or to a regular file replaced atomically so a failure never leaves
// half a file (io::write_file).
#pragma once

#include <string>

namespace ntp::cli {

// path "" or "-" means stdout. Throws UserError when the file cannot be written.
void write_output(const std::string& path, const std::string& text);

}  // namespace ntp::cli
