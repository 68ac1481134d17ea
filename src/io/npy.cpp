#include "npy.h"

#include "files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

namespace ntp::io {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message, const std::string& hint = {}) {
  throw UserError({path, 0, 0}, message,
                  hint.empty() ? "write it with numpy.save(path, array.astype('float32'))" : hint);
}

template <class T>
void widen(const std::vector<char>& raw, Tensor& tensor) {
  float* target = tensor.as<float>();
  for (std::int64_t i = 0; i < tensor.elements(); ++i) {
    T value;
    std::memcpy(&value, raw.data() + static_cast<std::size_t>(i) * sizeof(T), sizeof(T));
    target[i] = static_cast<float>(value);
  }
}

}  // namespace

Tensor read_npy(const std::string& path) {
  refuse_special_file(path, "the .npy file");  // a FIFO would block, a device never end
  std::ifstream file(path, std::ios::binary);
  if (!file) fail(path, "cannot open the .npy file", "check the path");
  char magic[8] = {};
  file.read(magic, 8);
  if (!file || std::memcmp(magic, "\x93NUMPY", 6) != 0) fail(path, "not a .npy file (no NUMPY magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_length = 0;
  if (major == 1) {
    unsigned char bytes[2] = {};
    file.read(reinterpret_cast<char*>(bytes), 2);
    header_length = static_cast<std::uint32_t>(bytes[0] | (bytes[1] << 8));
  } else if (major == 2 || major == 3) {
    unsigned char bytes[4] = {};
    file.read(reinterpret_cast<char*>(bytes), 4);
    header_length = static_cast<std::uint32_t>(bytes[0] | (bytes[1] << 8) | (bytes[2] << 16)) |
                    (static_cast<std::uint32_t>(bytes[3]) << 24);
  } else {
    fail(path, fmt::format("unsupported .npy version {}", major));
  }
  if (!file || header_length > (1U << 20)) fail(path, "truncated or malformed .npy header");
  std::string header(header_length, '\0');
  file.read(header.data(), static_cast<std::streamsize>(header_length));
  if (!file) fail(path, "truncated .npy header");

  std::smatch match;
  if (!std::regex_search(header, match, std::regex(R"('descr'\s*:\s*'([<>|=]?)([a-z])(\d+)')")))
    fail(path, "the .npy header has no dtype");
  const std::string order = match[1];
  const std::string kind = match[2];
  const int size = std::stoi(match[3]);
  if (order == ">")
    fail(path, "big-endian .npy data is not supported", "save it with a little-endian dtype ('<f4')");
  if (std::regex_search(header, std::regex(R"('fortran_order'\s*:\s*True)")))
    fail(path, "Fortran-ordered .npy data is not supported", "save numpy.ascontiguousarray(array)");
  if (!std::regex_search(header, match, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    fail(path, "the .npy header has no shape");
  Shape shape;
  const std::string dims = match[1];
  const std::regex number(R"(\d+)");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
    shape.push_back(std::stoll(it->str()));
  std::int64_t count = 0;
  try {
    count = element_count(shape);
  } catch (const UserError&) {
    fail(path, "the .npy shape is too large");
  }
  const bool known =
      (kind == "f" && (size == 4 || size == 8)) || (kind == "i" && (size == 2 || size == 4 || size == 8));
  if (!known)
    fail(path, fmt::format("unsupported .npy dtype '{}{}'", kind, size),
         "use float32, float64, int16, int32 or int64");
  std::vector<char> raw(static_cast<std::size_t>(count) * static_cast<std::size_t>(size));
  file.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (!file)
    fail(path,
         fmt::format("the .npy data is truncated: {} {} values expected", count, shape_to_string(shape)));
  Tensor tensor(shape, DType::f32);
  if (kind == "f" && size == 4)
    widen<float>(raw, tensor);
  else if (kind == "f")
    widen<double>(raw, tensor);
  else if (size == 2)
    widen<std::int16_t>(raw, tensor);
  else if (size == 4)
    widen<std::int32_t>(raw, tensor);
  else
    widen<std::int64_t>(raw, tensor);
  return tensor;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  std::string shape;
  for (const std::int64_t dim : tensor.shape())
    shape += std::to_string(dim) + ",";
  if (tensor.shape().size() > 1) shape.pop_back();
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", shape);
  const std::size_t unpadded = 10 + header.size() + 1;  // magic, version, length, header, newline
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const auto length = static_cast<std::uint16_t>(header.size());
  std::string bytes = {'\x93',
                       'N',
                       'U',
                       'M',
                       'P',
                       'Y',
                       1,
                       0,
                       static_cast<char>(length & 0xff),
                       static_cast<char>(length >> 8)};
  bytes += header;
  bytes.append(static_cast<const char*>(tensor.data()), tensor.bytes());
  write_file(path, bytes, "the .npy file");
}

}  // namespace ntp::io
