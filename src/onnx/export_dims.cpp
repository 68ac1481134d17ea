#include "export_dims.h"

#include <algorithm>
#include <optional>

#include "ntp/op_schema.h"

namespace ntp::onnx_io {

namespace {

// Ops whose ONNX form bakes in a size that the NTP schema recomputes: a split's part sizes along its axis,
// a causal attention's [T, T] mask. Such a node pins the dimensions it is given.
bool pins_changed_input(const Node& node, const Shape& original, const Shape& probed) {
  if (node.op == "split") {
    const auto rank = static_cast<std::int64_t>(original.size());
    std::int64_t axis = node.attrs.integer("axis");
    if (axis < 0) axis += rank;
    return original.at(static_cast<std::size_t>(axis)) != probed.at(static_cast<std::size_t>(axis));
  }
  if (node.op == "attention" && node.attrs.integer("causal") != 0) return original.at(1) != probed.at(1);
  return false;
}

// The shape of every value with the input dimensions named `param` set to `size`; nullopt when some op
// refuses it, its weights would change, or its ONNX form would not follow.
std::optional<std::vector<Shape>> probe(const Graph& graph, const std::string& param, std::int64_t size) {
  std::vector<Value> values = graph.values;
  for (const int input : graph.inputs) {
    Value& value = values[static_cast<std::size_t>(input)];
    for (std::size_t d = 0; d < value.dim_params.size() && d < value.shape.size(); ++d)
      if (value.dim_params[d] == param) value.shape[d] = size;
  }
  for (const Node& node : graph.nodes) {
    if (!node.is_op() || node.schema == nullptr) continue;
    OpContext context{node, node.attrs, {}, {}, node.precision.value_or(DType::f32)};
    for (const int input : node.inputs) {
      const auto index = static_cast<std::size_t>(input);
      context.inputs.push_back(&values[index]);
      if (values[index].shape != graph.values[index].shape &&
          pins_changed_input(node, graph.values[index].shape, values[index].shape))
        return std::nullopt;
    }
    InferResult result;
    try {
      result = node.schema->infer(context);
    } catch (const std::exception&) {  // ShapeError or UserError: the graph does not work at this size
      return std::nullopt;
    }
    if (result.outputs.size() != node.outputs.size() || result.weights.size() != node.weights.size())
      return std::nullopt;
    for (std::size_t w = 0; w < result.weights.size(); ++w)
      if (result.weights[w].shape != node.weights[w].shape) return std::nullopt;
    for (std::size_t k = 0; k < result.outputs.size(); ++k)
      values[static_cast<std::size_t>(node.outputs[k])].shape = result.outputs[k].shape;
  }
  std::vector<Shape> shapes;
  for (const Value& value : values)
    shapes.push_back(value.shape);
  return shapes;
}

}  // namespace

SymbolicAnalysis symbolic_dims(const Graph& graph) {
  SymbolicAnalysis analysis;
  for (const Value& value : graph.values)
    analysis.dims.emplace_back(value.shape.size());

  // Every parameter an input dimension is written as, with the size it has now.
  std::vector<std::pair<std::string, std::int64_t>> params;
  for (const int input : graph.inputs) {
    const Value& value = graph.values[static_cast<std::size_t>(input)];
    for (std::size_t d = 0; d < value.dim_params.size() && d < value.shape.size(); ++d) {
      const std::string& param = value.dim_params[d];
      const bool seen =
          std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == param; });
      if (!param.empty() && !seen) params.emplace_back(param, value.shape[d]);
    }
  }

  for (const auto& [param, size] : params) {
    // Two probes, one size up and twice the size: one alone can miss a dependence that a stride rounds
    // away (41 and 42 bins both give 21 after a stride-2 convolution).
    const std::vector<std::int64_t> probe_sizes = {size + 1, 2 * size};
    std::vector<std::vector<Shape>> probes;
    for (const std::int64_t probe_size : probe_sizes)
      if (auto shapes = probe(graph, param, probe_size)) probes.push_back(std::move(*shapes));
    if (probes.size() != probe_sizes.size()) {
      analysis.pinned.push_back(param);
      continue;
    }
    analysis.symbols.push_back(param);
    for (std::size_t v = 0; v < graph.values.size(); ++v) {
      const Shape& original = graph.values[v].shape;
      for (std::size_t d = 0; d < original.size(); ++d) {
        bool changed = false, follows_param = original[d] == size;
        for (std::size_t p = 0; p < probes.size(); ++p) {
          changed = changed || probes[p][v][d] != original[d];
          follows_param = follows_param && probes[p][v][d] == probe_sizes[p];
        }
        if (!changed) continue;
        std::string& name = analysis.dims[v][d];
        name = name.empty() && follows_param ? param : kUnnamedDim;
      }
    }
  }
  return analysis;
}

}  // namespace ntp::onnx_io
