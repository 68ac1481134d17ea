// Turning a model spec (the command line's topology arguments) into a loaded graph.
#pragma once

#include <optional>

#include "ntp/analysis.h"
#include "ntp/graph.h"
#include "ntp/session.h"
#include "ntp/topology.h"
#include "ntp/weights.h"

namespace ntp::session {

struct LoadedModel {
  Graph graph;
  std::optional<WeightStore> weights;  // an ONNX model's own
};

// Throws UserError for malformed --set values, unknown precisions and every topology error. A .onnx file
// is imported (with --set for its dim_params and --shape for input shapes).
LoadedModel load_model(const ModelSpec& spec);
Graph load_graph(const ModelSpec& spec);
bool is_onnx_file(const std::string& path);
// Throws UserError, before anything is allocated, when `copies` compiled copies of `graph` would not fit in
// this machine's available memory.
void require_memory(const Graph& graph, const GraphAnalysis& analysis, MemoryHolders holders);
DType parse_precision(const std::string& text);

}  // namespace ntp::session
