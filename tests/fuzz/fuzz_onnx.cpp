// The ONNX importer (onnx_io::import_model): protobuf parsing, ONNX's checker, shape resolution and the
// conversion of every node into the NTP graph. It reads a path, so each input goes to a file first.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "onnx/onnx_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = ntp::fuzz::write_input(data, size, "model.onnx");
  ntp::fuzz::expect_clean([&] {
    const auto imported = ntp::onnx_io::import_model(path);
    if (!imported.ok() && imported.error().message.empty()) std::abort();
  });
  return 0;
}
