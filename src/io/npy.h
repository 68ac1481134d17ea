// NumPy .npy files: the interchange format for real inputs and saved outputs.
#pragma once

#include <string>

#include "ntp/tensor.h"

namespace ntp::io {

// Reads a C-ordered array of float32, float64, int16, int32 or int64 into an f32 tensor.
// Throws UserError naming the file for anything else or for a malformed or truncated file.
Tensor read_npy(const std::string& path);
// Writes an f32 tensor as a version 1.0 float32 .npy, atomically (a temporary file, then a rename).
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace ntp::io
