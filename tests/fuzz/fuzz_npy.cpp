// The .npy reader (io::read_npy): header, dtype, shape, and the data's size against the file's.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ntp::fuzz::write_input(data, size, "input.npy");
  ntp::fuzz::expect_clean([&] { (void)ntp::io::read_npy(path); });
  return 0;
}
