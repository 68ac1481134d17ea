#include "calibration.h"

#include <cmath>

#include "ntp/executable.h"

namespace ntp::runtime {

std::vector<float> calibrate_ranges(const Graph& graph, const Backend& backend, const WeightStore& weights,
                                    const std::map<std::string, Tensor>& inputs, int threads) {
  // Every layer at fp32: a layer placed at int8 (precision=, --place) would otherwise run quantised, with no
  // scales yet, and every range after it would be wrong.
  Graph wide = graph;
  for (Node& node : wide.nodes)
    node.precision.reset();
  Executable fp32(wide, backend, {DType::f32, threads, &weights, nullptr});
  fp32.run(inputs, nullptr);
  std::vector<float> ranges(graph.values.size(), 0.0F);
  for (std::size_t v = 0; v < graph.values.size(); ++v) {
    const Tensor values = fp32.value_f32(static_cast<int>(v));
    for (std::int64_t i = 0; i < values.elements(); ++i)
      ranges[v] = std::max(ranges[v], std::fabs(values.as<float>()[i]));
  }
  return ranges;
}

}  // namespace ntp::runtime
