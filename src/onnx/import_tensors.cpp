// TensorProto decoding over ONNX's protobuf classes: typed fields, raw little-endian bytes, and external
// data files confined to the model's folder.
#include "import_tensors.h"

#include "ntp/elements.h"

#include "io/files.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace ntp::onnx_io {

namespace {

namespace fs = std::filesystem;
using onnx::TensorProto;

// IEEE half to float; subnormals and infinities included.
float half_to_f32(std::uint16_t half) {
  const std::uint32_t sign = (half >> 15U) & 1U;
  const std::uint32_t exponent = (half >> 10U) & 0x1FU;
  const std::uint32_t mantissa = half & 0x3FFU;
  float magnitude = 0;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude =
        mantissa == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
  else
    magnitude = std::ldexp(static_cast<float>(mantissa + 1024U), static_cast<int>(exponent) - 25);
  return sign != 0 ? -magnitude : magnitude;
}

// Bytes per element of the types NTP decodes; 0 for the others (strings, complex numbers).
std::size_t element_size(int type) {
  switch (type) {
    case TensorProto::FLOAT:
    case TensorProto::INT32:
    case TensorProto::UINT32:
      return 4;
    case TensorProto::DOUBLE:
    case TensorProto::INT64:
    case TensorProto::UINT64:
      return 8;
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
    case TensorProto::INT16:
    case TensorProto::UINT16:
      return 2;
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return 1;
    default:
      return 0;
  }
}

bool is_integral(int type) {
  return type != TensorProto::FLOAT && type != TensorProto::DOUBLE && type != TensorProto::FLOAT16 &&
         type != TensorProto::BFLOAT16;
}

template <class T>
T read_le(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  static_assert(std::endian::native == std::endian::little, "ONNX raw data is little-endian");
  return value;
}

// Appends element `bytes` of `type` to the tensor.
void append_raw(ConstTensor& tensor, int type, const char* bytes) {
  switch (type) {
    case TensorProto::FLOAT:
      tensor.floats.push_back(read_le<float>(bytes));
      break;
    case TensorProto::DOUBLE:
      tensor.floats.push_back(static_cast<float>(read_le<double>(bytes)));
      break;
    case TensorProto::FLOAT16:
      tensor.floats.push_back(half_to_f32(read_le<std::uint16_t>(bytes)));
      break;
    case TensorProto::BFLOAT16:
      tensor.floats.push_back(bf16_to_f32(read_le<std::uint16_t>(bytes)));
      break;
    case TensorProto::INT32:
      tensor.ints.push_back(read_le<std::int32_t>(bytes));
      break;
    case TensorProto::UINT32:
      tensor.ints.push_back(read_le<std::uint32_t>(bytes));
      break;
    case TensorProto::INT64:
      tensor.ints.push_back(read_le<std::int64_t>(bytes));
      break;
    case TensorProto::UINT64:
      tensor.ints.push_back(static_cast<std::int64_t>(read_le<std::uint64_t>(bytes)));
      break;
    case TensorProto::INT16:
      tensor.ints.push_back(read_le<std::int16_t>(bytes));
      break;
    case TensorProto::UINT16:
      tensor.ints.push_back(read_le<std::uint16_t>(bytes));
      break;
    case TensorProto::INT8:
      tensor.ints.push_back(read_le<std::int8_t>(bytes));
      break;
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      tensor.ints.push_back(read_le<std::uint8_t>(bytes));
      break;
    default:
      break;
  }
}

std::string tensor_label(const TensorProto& proto) {
  return proto.name().empty() ? std::string("a tensor") : fmt::format("tensor '{}'", proto.name());
}

}  // namespace

fs::path file_in_model_folder(const std::string& folder_path, const std::string& location,
                              const std::string& model_file, const std::string& what) {
  const fs::path relative(location);
  bool climbs = false;
  for (const auto& part : relative)
    climbs = climbs || part == "..";
  if (relative.is_absolute() || climbs)
    throw UserError({model_file, 0, 0}, fmt::format("{} path '{}' leaves the model's folder", what, location),
                    "files a model refers to must lie in its folder or below it (no absolute paths, no ..)");
  std::error_code error;
  const fs::path folder = fs::canonical(folder_path, error);
  const fs::path file = error ? fs::path() : fs::canonical(folder / relative, error);
  if (error)
    throw UserError({model_file, 0, 0}, fmt::format("{}: cannot open '{}'", what, location),
                    "the file must lie next to the model");
  const auto [folder_end, file_it] = std::mismatch(folder.begin(), folder.end(), file.begin(), file.end());
  if (folder_end != folder.end())
    throw UserError(
        {model_file, 0, 0},
        fmt::format("{} '{}' is a link to {}, outside the model's folder", what, location, file.string()),
        "copy the file next to the model instead of linking to it");
  return file;
}

namespace {

// The bytes of an external-data tensor, read only from inside the model's folder.
std::string read_external(const TensorProto& proto, const TensorSource& source) {
  std::string location;
  std::int64_t offset = 0;
  std::int64_t length = -1;
  for (const auto& entry : proto.external_data()) {
    try {
      if (entry.key() == "location") location = entry.value();
      if (entry.key() == "offset") offset = std::stoll(entry.value());
      if (entry.key() == "length") length = std::stoll(entry.value());
    } catch (const std::exception&) {
      throw UserError({source.file, 0, 0}, fmt::format("{}: external data {} '{}' is not a number",
                                                       tensor_label(proto), entry.key(), entry.value()));
    }
  }
  const std::string label = tensor_label(proto);
  if (source.data_folder.empty())
    throw UserError({source.file, 0, 0},
                    fmt::format("{} refers to external data, which this file cannot have", label));
  if (location.empty())
    throw UserError({source.file, 0, 0}, fmt::format("{} has external data without a location", label));
  const fs::path file = file_in_model_folder(source.data_folder, location, source.file,
                                             fmt::format("{}: its external data", label));
  io::refuse_special_file(file.string(), "the external data file");  // a FIFO would block
  std::ifstream stream(file, std::ios::binary);
  std::error_code error;
  const auto size = static_cast<std::int64_t>(fs::file_size(file, error));
  if (!stream || error)
    throw UserError({source.file, 0, 0},
                    fmt::format("{}: cannot read external data file '{}'", label, location));
  if (length < 0) length = size - offset;
  if (offset < 0 || length < 0 || offset > size || length > size - offset)
    throw UserError({source.file, 0, 0},
                    fmt::format("{}: external data offset {} + length {} is past the end of '{}' ({} bytes)",
                                label, offset, length, location, size),
                    "the data file is truncated or belongs to another model");
  std::string bytes(static_cast<std::size_t>(length), '\0');
  stream.seekg(offset);
  stream.read(bytes.data(), length);
  if (!stream) throw UserError({source.file, 0, 0}, fmt::format("{}: cannot read external data", label));
  return bytes;
}

}  // namespace

std::int64_t ConstTensor::integer(std::size_t i) const {
  if (integral) return ints[i];
  const float value = floats[i];
  if (!(std::fabs(value) < 9.2e18F))
    return value < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(value);
}

Tensor ConstTensor::to_f32() const {
  Tensor tensor(shape, DType::f32);
  float* data = tensor.as<float>();
  for (std::size_t i = 0; i < static_cast<std::size_t>(count()); ++i)
    data[i] = integral ? static_cast<float>(ints[i]) : floats[i];
  return tensor;
}

std::optional<DType> dtype_of_onnx(int onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return DType::f32;
    case TensorProto::DOUBLE:
      return DType::f64;
    case TensorProto::FLOAT16:
      return DType::f16;
    case TensorProto::BFLOAT16:
      return DType::bf16;
    case TensorProto::INT8:
      return DType::s8;
    case TensorProto::UINT8:
      return DType::u8;
    case TensorProto::INT16:
    case TensorProto::UINT16:
    case TensorProto::INT32:
      return DType::s32;
    case TensorProto::UINT32:
    case TensorProto::INT64:
    case TensorProto::UINT64:
      return DType::s64;
    case TensorProto::BOOL:
      return DType::boolean;
    default:
      return std::nullopt;
  }
}

DType ConstTensor::dtype() const {
  return dtype_of_onnx(onnx_type).value_or(DType::f32);
}

Tensor ConstTensor::to_tensor() const {
  const DType type = dtype();
  if (type == DType::f32) return to_f32();
  if (!integral) return converted(to_f32(), type);
  Tensor wide(shape, DType::s64);
  std::copy(ints.begin(), ints.end(), wide.as<std::int64_t>());
  return type == DType::s64 ? wide : converted(wide, type);
}

ConstTensor const_tensor_of(const Tensor& tensor) {
  ConstTensor result;
  result.shape = tensor.shape();
  result.integral = !is_floating(tensor.dtype());
  for (std::int64_t i = 0; i < tensor.elements(); ++i) {
    if (result.integral)
      result.ints.push_back(element_as_int(tensor, i));
    else
      result.floats.push_back(static_cast<float>(element_as_double(tensor, i)));
  }
  switch (tensor.dtype()) {
    case DType::f32:
      result.onnx_type = TensorProto::FLOAT;
      break;
    case DType::f64:
      result.onnx_type = TensorProto::DOUBLE;
      break;
    case DType::f16:
      result.onnx_type = TensorProto::FLOAT16;
      break;
    case DType::bf16:
      result.onnx_type = TensorProto::BFLOAT16;
      break;
    case DType::s8:
      result.onnx_type = TensorProto::INT8;
      break;
    case DType::u8:
      result.onnx_type = TensorProto::UINT8;
      break;
    case DType::s32:
      result.onnx_type = TensorProto::INT32;
      break;
    case DType::s64:
      result.onnx_type = TensorProto::INT64;
      break;
    case DType::boolean:
      result.onnx_type = TensorProto::BOOL;
      break;
  }
  return result;
}

std::string onnx_type_name(int onnx_type) {
  if (onnx_type == 0) return "UNDEFINED";
  if (!onnx::TensorProto_DataType_IsValid(onnx_type)) return fmt::format("type {}", onnx_type);
  return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(onnx_type));
}

ConstTensor decode_tensor(const TensorProto& proto, const TensorSource& source) {
  const std::string label = tensor_label(proto);
  const int type = proto.data_type();
  if (element_size(type) == 0)
    throw UserError({source.file, 0, 0},
                    fmt::format("{} has element type {}, which NTP cannot use", label, onnx_type_name(type)),
                    "NTP takes float, integer and bool tensors");
  ConstTensor tensor;
  tensor.onnx_type = type;
  tensor.integral = is_integral(type);
  for (const std::int64_t dim : proto.dims()) {
    if (dim < 0)
      throw UserError({source.file, 0, 0}, fmt::format("{} has a negative dimension {}", label, dim));
    tensor.shape.push_back(dim);
  }
  std::int64_t expected = 0;
  try {
    expected = element_count(tensor.shape);
  } catch (const UserError&) {
    throw UserError({source.file, 0, 0},
                    fmt::format("{}: shape {} is too large", label, shape_to_string(tensor.shape)));
  }
  const bool external = proto.data_location() == TensorProto::EXTERNAL;
  if (external || proto.has_raw_data()) {
    const std::string bytes = external ? read_external(proto, source) : proto.raw_data();
    const std::size_t size = element_size(type);
    std::int64_t needed = 0;  // checked: [2^60+3, 4] floats must not wrap to 48 bytes
    if (__builtin_mul_overflow(expected, static_cast<std::int64_t>(size), &needed))
      throw UserError({source.file, 0, 0},
                      fmt::format("{}: shape {} is too large", label, shape_to_string(tensor.shape)));
    if (bytes.size() != static_cast<std::size_t>(needed))
      throw UserError({source.file, 0, 0},
                      fmt::format("{} of shape {} needs {} bytes of {}, the file has {}", label,
                                  shape_to_string(tensor.shape), needed, onnx_type_name(type), bytes.size()),
                      "the model is truncated or corrupt; export it again");
    for (std::size_t offset = 0; offset < bytes.size(); offset += size)
      append_raw(tensor, type, bytes.data() + offset);
  } else {
    switch (type) {
      case TensorProto::FLOAT:
        tensor.floats.assign(proto.float_data().begin(), proto.float_data().end());
        break;
      case TensorProto::DOUBLE:
        for (const double value : proto.double_data())
          tensor.floats.push_back(static_cast<float>(value));
        break;
      case TensorProto::FLOAT16:
      case TensorProto::BFLOAT16:
        for (const std::int32_t bits : proto.int32_data())
          tensor.floats.push_back(type == TensorProto::FLOAT16
                                      ? half_to_f32(static_cast<std::uint16_t>(bits))
                                      : bf16_to_f32(static_cast<std::uint16_t>(bits)));
        break;
      case TensorProto::INT64:
        tensor.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
        break;
      case TensorProto::UINT32:
      case TensorProto::UINT64:
        for (const std::uint64_t value : proto.uint64_data())
          tensor.ints.push_back(static_cast<std::int64_t>(value));
        break;
      default:
        tensor.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
        break;
    }
    if (tensor.count() != expected)
      throw UserError({source.file, 0, 0},
                      fmt::format("{} of shape {} has {} values, not {}", label,
                                  shape_to_string(tensor.shape), tensor.count(), expected),
                      "the model is truncated or corrupt; export it again");
  }
  return tensor;
}

Result<TensorFile> load_tensor_file(const std::string& path) {
  const std::optional<std::string> bytes = io::read_file(path);
  if (!bytes) return Diagnostic{{path, 0, 0}, "cannot open the tensor file", "check the path"};
  TensorProto proto;
  if (!proto.ParseFromString(*bytes))
    return Diagnostic{
        {path, 0, 0}, "not a serialized ONNX TensorProto", "the file is truncated or of another kind"};
  try {
    return TensorFile{proto.name(), decode_tensor(proto, {path, ""})};
  } catch (const UserError& error) {
    return error.diagnostic();
  }
}

}  // namespace ntp::onnx_io
