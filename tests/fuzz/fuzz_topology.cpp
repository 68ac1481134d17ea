// The markup topology loader with its parameter substitution and expression evaluator: parse, validate and
// infer shapes (ntp::parse_topology, the in-memory form of load_topology).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "ntp/topology.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ntp::fuzz::expect_clean([&] {
    const ntp::Result<ntp::Graph> graph = ntp::parse_topology(text, "fuzz.xml");
    if (!graph.ok() && graph.error().message.empty()) std::abort();
  });
  return 0;
}
