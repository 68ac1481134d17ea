#include <gtest/gtest.h>

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

}  // namespace
