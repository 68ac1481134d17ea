// Static analysis of a graph: per-node parameters, FLOPs, bytes and arithmetic intensity (the cost model),
// per-segment sums, and the peak memory estimate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ntp/graph.h"
#include "ntp/op_schema.h"

namespace ntp {

struct NodeAnalysis {
  int node = -1;
  Cost cost;
  std::int64_t params = 0;
  double weight_bytes = 0;
  double activation_bytes = 0;  // the node's outputs
};

struct SegmentAnalysis {
  std::string name;
  std::string tool;
  std::vector<int> nodes;
  Cost cost;
  std::int64_t params = 0;
  double weight_bytes = 0;
};

struct GraphAnalysis {
  DType precision = DType::f32;
  std::vector<NodeAnalysis> nodes;  // op nodes, in execution order
  std::vector<SegmentAnalysis> segments;
  Cost total;
  std::int64_t params = 0;
  double weight_bytes = 0;
  double input_bytes = 0;
  // Largest sum of live activations at any node (inputs, outputs and everything still to be consumed),
  // with activations freed after their last use.
  double peak_activation_bytes = 0;
  double total_activation_bytes = 0;  // every value, as an executable that keeps them all allocates
  double peak_bytes() const { return weight_bytes + peak_activation_bytes; }
};

// Weights are costed at `precision` unless a node overrides it.
GraphAnalysis analyze(const Graph& graph, DType precision = DType::f32);

// Memory this process may still allocate (MemAvailable), in bytes; nullopt when unknown.
std::optional<double> available_memory_bytes();
// Who holds memory in a run: `executables` compiled copies of the graph (streams, or the reference and the
// checked back end), holding `weight_copies` copies of the weights between them (Backend::weight_copies).
struct MemoryHolders {
  int executables = 1;
  double weight_copies = 1;
};
// A bound on what a run allocates: the seeded fp32 weights and the input data once, each executable's every
// value (inputs included), the holders' copies of the weights, a tenth more for the allocators' slack, and
// 64 MiB for what the libraries allocate on first use (measured against peak RSS, docs/limits.md).
double run_memory_bytes(const GraphAnalysis& analysis, MemoryHolders holders = {});
// Nullopt when a run by `holders` fits in `available` bytes; otherwise a message saying why not.
std::optional<std::string> check_fits(const GraphAnalysis& analysis, double available,
                                      MemoryHolders holders = {});

}  // namespace ntp
