// `ntp export`: a topology with its seeded weights (the seed `ntp run` uses by default) as an ONNX model.
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "load.h"
#include "ntp/weights.h"
#include "onnx/export.h"

namespace ntp::cli {

int export_command(const ExportArgs& args) {
  const Graph graph = load_graph(args.topology);
  const WeightStore weights = generate_weights(graph, args.seed);
  onnx_io::ExportOptions options;
  options.opset = args.opset;
  onnx_io::export_model(graph, weights, args.output, options);
  std::cerr << fmt::format("wrote {} (opset {}, seed {})\n", args.output, args.opset, args.seed);
  return 0;
}

}  // namespace ntp::cli
