// Profiles a model with NTP's library and prints its slowest layers: slowest_layers MODEL [BACKEND [N]].
#include <algorithm>
#include <cstdio>
#include <string>

#include "ntp/session.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.xml|MODEL.onnx [BACKEND [N]]\n", argv[0]);
    return 2;
  }
  try {
    ntp::ModelSpec spec;
    spec.file = argv[1];
    const ntp::Model model = ntp::Model::load(spec);
    ntp::ProfileOptions options;
    options.backend = argc > 2 ? argv[2] : "";
    options.iterations = 5;
    const ntp::RunRecord record = ntp::run(model, options).record;
    std::vector<ntp::NodeRecord> nodes = record.nodes;
    std::sort(nodes.begin(), nodes.end(),
              [](const auto& a, const auto& b) { return a.time->ms.median > b.time->ms.median; });
    nodes.resize(std::min<std::size_t>(nodes.size(), argc > 3 ? std::stoul(argv[3]) : 5));
    std::printf("%s on %s: %.3f ms median end to end (libntp %s)\n", record.topology.name.c_str(),
                record.options.backend.c_str(), record.latency.ms.median, ntp::library_version());
    for (const ntp::NodeRecord& node : nodes)
      std::printf("%-24s %-12s %9.3f ms %5.1f%%\n", node.name.c_str(), node.op.c_str(), node.time->ms.median,
                  100 * node.time->share);
  } catch (const ntp::UserError& error) {
    std::fprintf(stderr, "%s\n", error.diagnostic().to_string().c_str());
    return 2;
  }
  return 0;
}
