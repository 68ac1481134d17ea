#include "npy.h"

#include "files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ntp::io {

namespace {

const char* const kHint = "write it with numpy.save(path, array.astype('float32'))";

[[noreturn]] void fail(const std::string& path, const std::string& message, const std::string& hint = {}) {
  throw UserError({path, 0, 0}, message, hint.empty() ? kHint : hint);
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

// What the header says, with every key numpy writes present exactly once.
struct Header {
  char order = '<';  // '<', '|' or '=' (">" is refused)
  char kind = 'f';
  int size = 0;  // bytes per element
  bool fortran_order = false;
  Shape shape;
};

// The header is a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
// padded with spaces and a newline. Read as a literal (not searched with patterns), as numpy reads it with
// ast.literal_eval: either quote, keys in any order, each exactly once, nothing else. Iterative, so no header
// can exhaust the stack; errors name the file's line 1 and the column of the offending character.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path, int offset)
      : text_(text), path_(path), offset_(offset) {}

  Header parse() {
    Header header;
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    skip_space();
    expect('{');
    skip_space();
    while (peek() != '}') {
      const std::size_t key_at = pos_;
      const std::string key = string_literal();
      skip_space();
      expect(':');
      skip_space();
      bool* seen = nullptr;
      if (key == "descr") {
        seen = &seen_descr;
        descr(header);
      } else if (key == "fortran_order") {
        seen = &seen_fortran;
        header.fortran_order = boolean();
      } else if (key == "shape") {
        seen = &seen_shape;
        header.shape = tuple();
      } else {
        fail_at(key_at, fmt::format("unknown key '{}' in the .npy header", key),
                "numpy writes only 'descr', 'fortran_order' and 'shape'");
      }
      if (*seen) fail_at(key_at, fmt::format("the .npy header gives '{}' twice", key));
      *seen = true;
      skip_space();
      if (peek() != ',') break;
      ++pos_;
      skip_space();
    }
    expect('}');
    skip_space();
    if (pos_ != text_.size()) fail_at(pos_, "unexpected text after the .npy header's dictionary");
    if (!seen_descr) fail_at(pos_, "the .npy header has no dtype ('descr')");
    if (!seen_fortran) fail_at(pos_, "the .npy header has no 'fortran_order'");
    if (!seen_shape) fail_at(pos_, "the .npy header has no shape");
    return header;
  }

 private:
  [[noreturn]] void fail_at(std::size_t at, const std::string& message,
                            const std::string& hint = kHint) const {
    throw UserError({path_, 1, offset_ + static_cast<int>(at) + 1}, message, hint);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'))
      ++pos_;
  }
  void expect(char wanted) {
    if (peek() != wanted)
      fail_at(pos_, pos_ < text_.size() ? fmt::format("malformed .npy header: '{}' expected", wanted)
                                        : fmt::format("truncated .npy header: '{}' expected", wanted));
    ++pos_;
  }
  // 'text' or "text", without escapes (numpy's keys and dtypes have none).
  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail_at(pos_, "malformed .npy header: a quoted string expected");
    const std::size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string::npos) fail_at(pos_, "malformed .npy header: unterminated string");
    std::string value = text_.substr(pos_ + 1, close - pos_ - 1);
    if (value.find('\\') != std::string::npos) fail_at(pos_, "malformed .npy header: escapes in a string");
    pos_ = close + 1;
    return value;
  }
  // '<f4', '|i2', ...: byte order, kind, size.
  void descr(Header& header) {
    const std::size_t at = pos_;
    if (peek() != '\'' && peek() != '"')
      fail_at(at, "unsupported .npy dtype: structured arrays are not read", "use a plain numeric array");
    const std::string value = string_literal();
    std::size_t i = 0;
    if (i < value.size() && std::strchr("<>|=", value[i]) != nullptr) header.order = value[i++];
    const bool well_formed = i + 2 <= value.size() && value.size() - i <= 3 && std::isalpha(value[i]) &&
                             std::all_of(value.begin() + static_cast<std::ptrdiff_t>(i) + 1, value.end(),
                                         [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!well_formed)
      fail_at(at, fmt::format("unsupported .npy dtype '{}'", value),
              "use float32, float64, int16, int32 or int64");
    header.kind = value[i];
    header.size = std::stoi(value.substr(i + 1));  // at most two digits
  }
  bool boolean() {
    if (text_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail_at(pos_, "malformed .npy header: 'fortran_order' must be True or False");
  }
  // (), (n,), (n, m, ...): non-negative integers that fit in 64 bits.
  Shape tuple() {
    Shape shape;
    expect('(');
    skip_space();
    while (peek() != ')') {
      const std::size_t at = pos_;
      if (!std::isdigit(static_cast<unsigned char>(peek())))
        fail_at(at, "malformed .npy shape: a non-negative integer expected");
      std::int64_t dim = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (__builtin_mul_overflow(dim, 10, &dim) || __builtin_add_overflow(dim, peek() - '0', &dim))
          fail_at(at, "the .npy shape has a dimension that does not fit in 64 bits");
        ++pos_;
      }
      shape.push_back(dim);
      skip_space();
      if (peek() != ',') break;
      ++pos_;
      skip_space();
    }
    expect(')');
    return shape;
  }

  const std::string& text_;
  const std::string& path_;
  int offset_;  // bytes before the header in the file
  std::size_t pos_ = 0;
};

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
  int preamble = 10;
  if (major == 1) {
    unsigned char bytes[2] = {};
    file.read(reinterpret_cast<char*>(bytes), 2);
    header_length = static_cast<std::uint32_t>(bytes[0] | (bytes[1] << 8));
  } else if (major == 2 || major == 3) {
    unsigned char bytes[4] = {};
    file.read(reinterpret_cast<char*>(bytes), 4);
    header_length = static_cast<std::uint32_t>(bytes[0] | (bytes[1] << 8) | (bytes[2] << 16)) |
                    (static_cast<std::uint32_t>(bytes[3]) << 24);
    preamble = 12;
  } else {
    fail(path, fmt::format("unsupported .npy version {}", major));
  }
  if (!file || header_length > (1U << 20)) fail(path, "truncated or malformed .npy header");
  std::string header_text(header_length, '\0');
  file.read(header_text.data(), static_cast<std::streamsize>(header_length));
  if (!file) fail(path, "truncated .npy header");
  const Header header = HeaderParser(header_text, path, preamble).parse();

  if (header.order == '>')
    fail(path, "big-endian .npy data is not supported", "save it with a little-endian dtype ('<f4')");
  if (header.fortran_order)
    fail(path, "Fortran-ordered .npy data is not supported", "save numpy.ascontiguousarray(array)");
  const char kind = header.kind;
  const int size = header.size;
  const bool known =
      (kind == 'f' && (size == 4 || size == 8)) || (kind == 'i' && (size == 2 || size == 4 || size == 8));
  if (!known)
    fail(path, fmt::format("unsupported .npy dtype '{}{}'", kind, size),
         "use float32, float64, int16, int32 or int64");
  const Shape& shape = header.shape;
  std::int64_t count = 0;
  std::int64_t bytes = 0;
  try {
    count = element_count(shape);
  } catch (const UserError&) {
    fail(path,
         fmt::format("the .npy shape {} has more elements than fit in 64 bits", shape_to_string(shape)));
  }
  if (__builtin_mul_overflow(count, static_cast<std::int64_t>(size), &bytes))
    fail(path, fmt::format("the .npy shape {} has more bytes than fit in 64 bits", shape_to_string(shape)));
  // The data's size is checked against the file before anything is allocated for it.
  const std::streamoff data_start = file.tellg();
  file.seekg(0, std::ios::end);
  const std::streamoff available = file.tellg() - data_start;
  file.seekg(data_start);
  if (!file || available < bytes)
    fail(path, fmt::format("the .npy data is truncated: {} {} values ({} bytes) expected, {} bytes present",
                           count, shape_to_string(shape), bytes, available < 0 ? 0 : available));
  std::vector<char> raw(static_cast<std::size_t>(bytes));
  file.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (!file)
    fail(path,
         fmt::format("the .npy data is truncated: {} {} values expected", count, shape_to_string(shape)));
  Tensor tensor(shape, DType::f32);
  if (kind == 'f' && size == 4)
    widen<float>(raw, tensor);
  else if (kind == 'f')
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
