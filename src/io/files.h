// Whole files read into memory: topology files, ONNX models and tensors, tool outputs, run records.
#pragma once

#include <optional>
#include <string>

namespace ntp::io {

// The file's bytes, or nothing when it cannot be opened (each caller says what the file was for).
std::optional<std::string> read_file(const std::string& path);

}  // namespace ntp::io
