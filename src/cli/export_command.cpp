// `ntp export`: a topology with its seeded weights (the seed `ntp run` uses by default) as an ONNX model.
#include <fmt/format.h>

#include <iostream>

#include "commands.h"
#include "ntp/session.h"
#include "onnx/export.h"

namespace ntp::cli {

int export_command(const ExportArgs& args) {
  const Model model = Model::load(args.topology);
  model.require_memory_for({});  // the weights, and the model's bytes as protobuf writes them
  const WeightStore weights = model.weights(args.seed);  // an ONNX model's own, else seeded ones
  onnx_io::ExportOptions options;
  options.opset = args.opset;
  onnx_io::export_model(model.graph(), weights, args.output, options);
  std::cerr << fmt::format("wrote {} (opset {}, seed {})\n", args.output, args.opset, args.seed);
  return 0;
}

}  // namespace ntp::cli
