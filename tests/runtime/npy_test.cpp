#include <gtest/gtest.h>

#include <array>

#include <filesystem>
#include <fstream>

#include "io/npy.h"

namespace {

std::filesystem::path temporary(const std::string& name) {
  return std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name);
}

TEST(Npy, RoundTripKeepsShapeAndValues) {
  ntp::Tensor tensor({2, 3, 4}, ntp::DType::f32);
  for (int i = 0; i < 24; ++i)
    tensor.as<float>()[i] = static_cast<float>(i) * 0.5F - 3;
  const auto path = temporary("round.npy");
  ntp::io::write_npy(path.string(), tensor);
  const ntp::Tensor back = ntp::io::read_npy(path.string());
  EXPECT_EQ(back.shape(), tensor.shape());
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(back.as<float>()[i], tensor.as<float>()[i]);
  // numpy's header is padded so the data starts on a 64-byte boundary.
  EXPECT_EQ(std::filesystem::file_size(path), 128U + 24 * 4);
  std::filesystem::remove(path);
}

TEST(Npy, ReadsInt16AsNumpyWritesIt) {
  // numpy.save of numpy.array([[1, -2, 3]], dtype='<i2'): a version 1.0 header of 118 bytes.
  std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 3), }";
  header.append(118 - 10 - header.size() - 1, ' ');
  header += '\n';
  const auto path = temporary("int16.npy");
  {
    std::ofstream file(path, std::ios::binary);
    file.write("\x93NUMPY\x01\x00", 8);
    const char length[2] = {static_cast<char>(header.size()), 0};
    file.write(length, 2);
    file << header;
    const std::int16_t values[3] = {1, -2, 3};
    file.write(reinterpret_cast<const char*>(values), sizeof values);
  }
  const ntp::Tensor tensor = ntp::io::read_npy(path.string());
  EXPECT_EQ(tensor.shape(), (ntp::Shape{1, 3}));
  EXPECT_EQ(tensor.as<float>()[1], -2.0F);
  std::filesystem::remove(path);
}

TEST(Npy, TruncatedAndForeignFilesAreClearErrors) {
  const auto path = temporary("bad.npy");
  std::ofstream(path, std::ios::binary) << "not numpy at all";
  try {
    ntp::io::read_npy(path.string());
    FAIL() << "accepted a file without the magic";
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().where.file, path.string());
    EXPECT_NE(error.diagnostic().message.find("not a .npy file"), std::string::npos);
  }
  ntp::Tensor tensor({100}, ntp::DType::f32);
  ntp::io::write_npy(path.string(), tensor);
  std::filesystem::resize_file(path, 128 + 40);
  EXPECT_THROW(ntp::io::read_npy(path.string()), ntp::UserError);
  std::filesystem::remove(path);
  EXPECT_THROW(ntp::io::read_npy("/no/such/file.npy"), ntp::UserError);
}

// A version 1.0 .npy file with `header` (padded as numpy pads it) and `data` after it.
std::filesystem::path npy_with_header(const std::string& name, std::string header,
                                      const std::string& data = {}) {
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  const auto path = temporary(name);
  std::ofstream file(path, std::ios::binary);
  file.write("\x93NUMPY\x01\x00", 8);
  const char length[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  file.write(length, 2);
  file << header << data;
  return path;
}

// The message of the UserError reading `path` gives (located at the file), or "" when it was read.
std::string npy_error(const std::filesystem::path& path) {
  try {
    ntp::io::read_npy(path.string());
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().where.file, path.string());
    EXPECT_FALSE(error.diagnostic().hint.empty());
    std::filesystem::remove(path);
    return error.diagnostic().message;
  }
  std::filesystem::remove(path);
  return "";
}

// Issue 16 and the fuzzer (tests/fuzz/corpus/npy/): the header was searched with regular expressions, so a
// double-quoted `"fortran_order": True` was missed (data read transposed), a second 'descr' won, a shape
// (-2,-3) read as (2,3), and digits beyond 64 bits escaped as std::out_of_range. It is read as the literal
// numpy writes, and each of these is a clear error at line 1 and the offending column.
TEST(Npy, TheHeaderIsReadAsTheLiteralNumpyWrites) {
  const std::string four_floats(16, '\0');
  const auto read = ntp::io::read_npy(
      npy_with_header("quotes.npy", R"({"descr": "<f4", "shape": (2, 2), "fortran_order": False})",
                      four_floats)
          .string());
  EXPECT_EQ(read.shape(), (ntp::Shape{2, 2}));
  EXPECT_NE(
      npy_error(npy_with_header("fortran.npy",
                                R"({"descr": "<f4", "fortran_order": True, "shape": (2, 2), })", four_floats))
          .find("Fortran-ordered"),
      std::string::npos);
  // Headers numpy would refuse, each with the words of its error.
  const std::vector<std::array<std::string, 3>> refused = {
      {"twice.npy", "{'descr': '<f4', 'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
       "gives 'descr' twice"},
      {"negative.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3), }",
       "non-negative integer"},
      {"digits.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
       "does not fit in 64 bits"},
      {"dtype.npy", "{'descr': '<f99999999999', 'fortran_order': False, 'shape': (), }",
       "unsupported .npy dtype"}};
  for (const auto& [file, header, expected] : refused)
    EXPECT_NE(npy_error(npy_with_header(file, header)).find(expected), std::string::npos) << file;
  // A header of deep parentheses (a megabyte overflowed the stack of the regex this replaced).
  EXPECT_NE(npy_error(npy_with_header("deep.npy", "{'shape': " + std::string(60000, '('))).find("malformed"),
            std::string::npos);
  const auto path = npy_with_header("column.npy", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (), }");
  try {
    ntp::io::read_npy(path.string());
    FAIL() << "read fortran_order: Maybe";
  } catch (const ntp::UserError& error) {
    EXPECT_EQ(error.diagnostic().where.line, 1);
    EXPECT_EQ(error.diagnostic().where.column, 10 + 34 + 1);  // after the 10-byte preamble
  }
  std::filesystem::remove(path);
}

// The declared size is checked against the file before anything is allocated: a header claiming 10^12
// elements with 8 bytes of data was allocated first (bad_alloc, "internal error"), and a shape of 2^62
// elements wrapped its byte count to 0.
TEST(Npy, TheDeclaredSizeIsCheckedAgainstTheFileFirst) {
  EXPECT_NE(
      npy_error(npy_with_header("huge.npy",
                                "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }",
                                std::string(8, '\0')))
          .find("truncated: 1000000000000 [1000000, 1000000] values (4000000000000 bytes) expected, 8"),
      std::string::npos);
  EXPECT_NE(npy_error(npy_with_header(
                          "wrap.npy",
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }"))
                .find("more bytes than fit in 64 bits"),
            std::string::npos);
}

}  // namespace
