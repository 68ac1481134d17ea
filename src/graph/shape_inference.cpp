#include "shape_inference.h"

#include <fmt/format.h>

#include <unordered_map>

#include "ntp/op_schema.h"

namespace ntp::graph {

namespace {
std::string input_count_text(const OpSchema& schema) {
  if (schema.max_inputs < 0) return fmt::format("{} or more inputs", schema.min_inputs);
  if (schema.min_inputs == schema.max_inputs)
    return fmt::format("{} input{}", schema.min_inputs, schema.min_inputs == 1 ? "" : "s");
  return fmt::format("{} to {} inputs", schema.min_inputs, schema.max_inputs);
}

std::string describe_inputs(const Graph& graph, const Node& node) {
  std::vector<std::string> shapes;
  for (const int input : node.inputs) {
    const Value& value = graph.values[static_cast<std::size_t>(input)];
    shapes.push_back(fmt::format("{} {}", value.name, shape_to_string(value.shape)));
  }
  return fmt::format("{}", fmt::join(shapes, ", "));
}
}  // namespace

void infer_shapes(Graph& graph, const InputResolver& resolve_inputs, DType weight_precision) {
  // Values by name, indexed as they are added (each node adds its outputs): a lookup per input instead of a
  // scan, so 100k layers stay linear. The first value of a name wins, as Graph::find_value's scan does.
  std::unordered_map<std::string, int> value_of_name;
  std::size_t indexed = 0;
  const auto find_value = [&](const std::string& name) {
    for (; indexed < graph.values.size(); ++indexed)
      value_of_name.try_emplace(graph.values[indexed].name, static_cast<int>(indexed));
    const auto found = value_of_name.find(name);
    return found == value_of_name.end() ? -1 : found->second;
  };
  std::size_t op_position = 0;
  for (std::size_t index = 0; index < graph.nodes.size(); ++index) {
    if (!graph.nodes[index].is_op()) continue;
    Node& node = graph.nodes[index];
    const OpSchema& schema = *node.schema;
    for (const auto& [name, at] : resolve_inputs(op_position++)) {
      const int value = find_value(name);
      if (value < 0)
        throw UserError(at, fmt::format("layer '{}' takes input '{}', which does not exist", node.name, name),
                        "the k-th output of a layer with several outputs is named layer:k, counting from 0");
      node.inputs.push_back(value);
    }
    const int count = static_cast<int>(node.inputs.size());
    if (count < schema.min_inputs || (schema.max_inputs >= 0 && count > schema.max_inputs))
      throw UserError(node.where,
                      fmt::format("layer '{}' ({}) takes {}, got {}", node.name, node.op,
                                  input_count_text(schema), count),
                      "name its inputs with inputs=\"a,b\"");

    OpContext context{node, node.attrs, {}, {}, node.precision.value_or(weight_precision)};
    for (const int input : node.inputs)
      context.inputs.push_back(&graph.values[static_cast<std::size_t>(input)]);
    InferResult result;
    try {
      result = schema.infer(context);
    } catch (const ShapeError& error) {
      throw UserError(node.where,
                      fmt::format("layer '{}' ({}): {} (inputs: {})", node.name, node.op, error.what(),
                                  describe_inputs(graph, node)),
                      error.hint());
    } catch (const UserError& error) {
      throw UserError(node.where,
                      fmt::format("layer '{}' ({}): {}", node.name, node.op, error.diagnostic().message),
                      error.diagnostic().hint);
    }
    node.weights = std::move(result.weights);
    for (const WeightSpec& weight : node.weights) {
      try {
        element_count(weight.shape);
      } catch (const UserError& error) {
        throw UserError(
            node.where,
            fmt::format("layer '{}' weight '{}': {}", node.name, weight.name, error.diagnostic().message),
            error.diagnostic().hint);
      }
    }
    for (std::size_t k = 0; k < result.outputs.size(); ++k) {
      try {
        element_count(result.outputs[k].shape);
      } catch (const UserError& error) {
        throw UserError(node.where, fmt::format("layer '{}': {}", node.name, error.diagnostic().message),
                        error.diagnostic().hint);
      }
      Value value;
      value.name = k == 0 ? node.name : fmt::format("{}:{}", node.name, k);
      value.shape = result.outputs[k].shape;
      value.dtype = result.outputs[k].dtype;
      value.producer = static_cast<int>(index);
      graph.values.push_back(std::move(value));
      graph.nodes[index].outputs.push_back(static_cast<int>(graph.values.size() - 1));
    }
  }
}

void mark_unconsumed_outputs(Graph& graph) {
  std::vector<bool> consumed(graph.values.size(), false);
  for (const Node& node : graph.nodes)
    for (const int input : node.inputs)
      consumed[static_cast<std::size_t>(input)] = true;
  for (std::size_t i = 0; i < graph.values.size(); ++i)
    if (!consumed[i] && graph.values[i].producer >= 0) graph.outputs.push_back(static_cast<int>(i));
}

}  // namespace ntp::graph
