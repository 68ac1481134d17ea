#include "ntp/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ntp {

GraphAnalysis analyze(const Graph& graph, DType precision) {
  GraphAnalysis analysis;
  analysis.precision = precision;
  std::vector<int> analysis_of_node(graph.nodes.size(), -1);
  for (std::size_t index = 0; index < graph.nodes.size(); ++index) {
    const Node& node = graph.nodes[index];
    if (!node.is_op()) continue;
    OpContext context{node, node.attrs, {}, {}, node.precision.value_or(precision)};
    for (const int input : node.inputs)
      context.inputs.push_back(&graph.values[static_cast<std::size_t>(input)]);
    for (const int output : node.outputs)
      context.outputs.push_back(&graph.values[static_cast<std::size_t>(output)]);
    NodeAnalysis result;
    result.node = static_cast<int>(index);
    try {
      result.cost = node.schema->cost ? node.schema->cost(context) : default_cost(context, 0);
      for (const WeightSpec& weight : node.weights)
        result.params += element_count(weight.shape);
      result.weight_bytes = weight_bytes(context);
      for (const Value* output : context.outputs)
        result.activation_bytes += tensor_bytes(*output);
    } catch (const UserError& error) {  // a size that overflows: named by the layer it comes from
      if (!error.diagnostic().where.file.empty()) throw;
      SourceLocation where = node.where;
      if (where.file.empty()) where.file = graph.source;
      throw UserError(where, fmt::format("layer '{}': {}", node.name, error.diagnostic().message),
                      error.diagnostic().hint);
    }
    analysis.total.flops += result.cost.flops;
    analysis.total.bytes_read += result.cost.bytes_read;
    analysis.total.bytes_written += result.cost.bytes_written;
    analysis.params += result.params;
    analysis.weight_bytes += result.weight_bytes;
    analysis_of_node[index] = static_cast<int>(analysis.nodes.size());
    analysis.nodes.push_back(result);
  }
  for (const Segment& segment : graph.segments()) {
    SegmentAnalysis sums{segment.name, segment.tool, segment.op_nodes, {}, 0, 0};
    for (const int node : segment.op_nodes) {
      const NodeAnalysis& part =
          analysis.nodes[static_cast<std::size_t>(analysis_of_node[static_cast<std::size_t>(node)])];
      sums.cost.flops += part.cost.flops;
      sums.cost.bytes_read += part.cost.bytes_read;
      sums.cost.bytes_written += part.cost.bytes_written;
      sums.params += part.params;
      sums.weight_bytes += part.weight_bytes;
    }
    analysis.segments.push_back(std::move(sums));
  }

  // Liveness: a value lives from its producer (or the start, for inputs) to its last consumer
  // (or the end, for graph outputs).
  const int end = static_cast<int>(graph.nodes.size());
  std::vector<int> last_use(graph.values.size(), -1);
  for (std::size_t index = 0; index < graph.nodes.size(); ++index)
    for (const int input : graph.nodes[index].inputs)
      last_use[static_cast<std::size_t>(input)] = static_cast<int>(index);
  for (const int output : graph.outputs)
    last_use[static_cast<std::size_t>(output)] = end;
  for (const int input : graph.inputs)
    analysis.input_bytes += tensor_bytes(graph.values[static_cast<std::size_t>(input)]);
  for (const Value& value : graph.values)
    analysis.total_activation_bytes += tensor_bytes(value);
  // Bytes that become live at each step and stop being live after it, summed in one sweep (linear in the
  // graph, where a scan of every value per step was quadratic).
  std::vector<double> change(static_cast<std::size_t>(end) + 2, 0.0);
  for (std::size_t v = 0; v < graph.values.size(); ++v) {
    const int born = std::max(graph.values[v].producer, 0);  // -1 for inputs: live from the start
    if (last_use[v] < born) continue;                        // never read: never live
    change[static_cast<std::size_t>(born)] += tensor_bytes(graph.values[v]);
    change[static_cast<std::size_t>(last_use[v]) + 1] -= tensor_bytes(graph.values[v]);
  }
  double live = 0;
  for (int step = 0; step < end; ++step) {
    live += change[static_cast<std::size_t>(step)];
    analysis.peak_activation_bytes = std::max(analysis.peak_activation_bytes, live);
  }
  return analysis;
}

std::optional<double> available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    double kibibytes = 0;
    if (fields >> kibibytes) return kibibytes * 1024.0;
  }
  return std::nullopt;
}

double run_memory_bytes(const GraphAnalysis& analysis, MemoryHolders holders) {
  constexpr double kSlack = 1.1;
  // What the libraries allocate on first use whatever the model (thread pools, kernel caches): LibTorch's
  // attention and matmul paths took 30 MiB for a 30 MiB transformer.
  constexpr double kLibraryScratch = 64.0 * 0x1p20;
  const double fp32_weights = static_cast<double>(analysis.params) * 4.0;
  // The runner's own copy of the input data, then each executable's values and the weights it holds.
  return kLibraryScratch +
         kSlack * (fp32_weights + analysis.input_bytes + holders.weight_copies * analysis.weight_bytes +
                   static_cast<double>(holders.executables) * analysis.total_activation_bytes);
}

std::optional<std::string> check_fits(const GraphAnalysis& analysis, double available,
                                      MemoryHolders holders) {
  const double needed = run_memory_bytes(analysis, holders);
  if (needed <= available) return std::nullopt;
  return fmt::format(
      "running it needs about {:.1f} GiB ({} parameters held {:g} times, {:.1f} GiB of activations in each "
      "of {} executable(s)) but only {:.1f} GiB of memory is available",
      needed / 0x1p30, analysis.params, holders.weight_copies, analysis.total_activation_bytes / 0x1p30,
      holders.executables, available / 0x1p30);
}

}  // namespace ntp
