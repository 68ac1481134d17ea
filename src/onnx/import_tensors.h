// ONNX TensorProto contents (initializers, Constant values, test data files) as host data. Every element
// type NTP can use is decoded; integer tensors keep exact int64 values because they feed shape arithmetic.
#pragma once

#include <filesystem>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ntp/graph.h"
#include "ntp/status.h"
#include "ntp/tensor.h"

namespace onnx {
class TensorProto;
}

namespace ntp::onnx_io {

// A tensor known at load time: an initializer, a Constant, or a value folded from them.
struct ConstTensor {
  Shape shape;
  bool integral = false;           // integer or bool elements: `ints`; otherwise `floats`
  std::vector<float> floats;       // FLOAT, DOUBLE, FLOAT16, BFLOAT16 (as f32)
  std::vector<std::int64_t> ints;  // INT*, UINT*, BOOL
  int onnx_type = 1;               // onnx::TensorProto_DataType

  std::int64_t count() const {
    return integral ? static_cast<std::int64_t>(ints.size()) : static_cast<std::int64_t>(floats.size());
  }
  // The elements as doubles / as int64 (floats truncated); for attributes and shape arithmetic.
  double real(std::size_t i) const { return integral ? static_cast<double>(ints[i]) : floats[i]; }
  std::int64_t integer(std::size_t i) const;
  Tensor to_f32() const;
  // The data as a tensor of its own element type (dtype_of_onnx; fp32 for types NTP lacks).
  Tensor to_tensor() const;
  DType dtype() const;
};

// NTP's element type for an ONNX one: INT16, UINT16 widen to int32, UINT32 and UINT64 to int64; none for
// strings, complex numbers and 8-bit floats.
std::optional<DType> dtype_of_onnx(int onnx_type);
// A host tensor as known data (integers and bool exact).
ConstTensor const_tensor_of(const Tensor& tensor);

// Where a tensor's external data may be read from: the model's own folder, nothing outside it.
// `location` (a path the model file names) inside the model's folder: relative, without "..", and not a
// link out of it; throws UserError naming `what` otherwise. The canonical path.
std::filesystem::path file_in_model_folder(const std::string& folder, const std::string& location,
                                           const std::string& model_file, const std::string& what);

struct TensorSource {
  std::string file;         // the model (or .pb) file, for messages
  std::string data_folder;  // the folder external data paths are relative to; "" forbids external data
};

// Throws UserError (naming the file and the tensor) for unknown element types, data that does not match
// the shape, and external data outside the model's folder or past the end of its file.
ConstTensor decode_tensor(const onnx::TensorProto& proto, const TensorSource& source);

// The ONNX element type's name ("FLOAT", "INT64", ...).
std::string onnx_type_name(int onnx_type);

// A TensorProto file as the ONNX test suite stores inputs and outputs (input_0.pb).
struct TensorFile {
  std::string name;  // the tensor's name inside the file (may be empty)
  ConstTensor data;
};
Result<TensorFile> load_tensor_file(const std::string& path);

}  // namespace ntp::onnx_io
