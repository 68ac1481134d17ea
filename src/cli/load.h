// Turning the command line's topology arguments into a loaded graph.
#pragma once

#include "commands.h"
#include "ntp/graph.h"
#include "ntp/topology.h"
#include "ntp/weights.h"

namespace ntp::cli {

// Throws UserError for malformed --set values, unknown precisions and every topology error. A .onnx file
// is imported (with --set for its dim_params and --shape for input shapes).
Graph load_graph(const TopologyArgs& args);
// The weights to run `graph` (loaded from `args`) with: an ONNX model's own, else seeded ones.
WeightStore model_weights(const TopologyArgs& args, const Graph& graph, std::uint64_t seed);
bool is_onnx_file(const std::string& path);
DType parse_precision(const std::string& text);

}  // namespace ntp::cli
