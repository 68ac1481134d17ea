#include "layer_map.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "ntp/status.h"

namespace ntp::onnxruntime {

std::vector<OptimizedNode> read_model_nodes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  onnx::ModelProto model;
  if (!file || !model.ParseFromIstream(&file))
    throw UserError({path, 0, 0}, "ONNX Runtime's optimised model cannot be read",
                    "the engine wrote an incomplete file; run again");
  std::vector<OptimizedNode> nodes;
  for (const onnx::NodeProto& node : model.graph().node())
    nodes.push_back({node.name(),
                     node.op_type(),
                     {node.input().begin(), node.input().end()},
                     {node.output().begin(), node.output().end()}});
  return nodes;
}

namespace {

// The layer named by `engine_name`: itself, or the longest layer name followed by '/', '_' or ':'.
int layer_named(const Graph& graph, const std::string& engine_name) {
  int best = -1;
  std::size_t best_length = 0;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    if (!node.is_op() || node.name.size() <= best_length || engine_name.rfind(node.name, 0) != 0) continue;
    const bool whole = engine_name.size() == node.name.size();
    const char next = whole ? '\0' : engine_name[node.name.size()];
    if (whole || next == '/' || next == '_' || next == ':') {
      best = static_cast<int>(n);
      best_length = node.name.size();
    }
  }
  return best;
}

// The layers from the producers of `node`'s outputs back to its inputs: what it computes of the graph.
std::vector<int> covered_layers(const Graph& graph, const OptimizedNode& node,
                                const std::map<std::string, std::string>& writer,
                                const std::map<int, std::set<std::string>>& named_after) {
  // A layer another engine node is named after is that node's (conv1_nchwc's conv1), not this one's.
  const auto belongs_elsewhere = [&](int layer) {
    const auto found = named_after.find(layer);
    return found != named_after.end() && found->second.count(node.name) == 0;
  };
  // A value another engine node writes is where this node's share of the graph begins.
  const auto written_elsewhere = [&](const std::string& value) {
    const auto found = writer.find(value);
    return found != writer.end() && found->second != node.name;
  };
  const std::set<std::string> inputs(node.inputs.begin(), node.inputs.end());
  std::set<int> covered;
  std::vector<int> pending;
  for (const std::string& output : node.outputs)
    if (const int value = graph.find_value(output); value >= 0)
      if (const int producer = graph.values[static_cast<std::size_t>(value)].producer; producer >= 0)
        pending.push_back(producer);
  while (!pending.empty() && covered.size() < graph.nodes.size()) {
    const int index = pending.back();
    pending.pop_back();
    if (belongs_elsewhere(index) || !covered.insert(index).second) continue;
    for (const int input : graph.nodes[static_cast<std::size_t>(index)].inputs) {
      const Value& value = graph.values[static_cast<std::size_t>(input)];
      if (value.producer < 0 || inputs.count(value.name) != 0 || written_elsewhere(value.name)) continue;
      pending.push_back(value.producer);
    }
  }
  std::vector<int> layers;
  for (const int index : covered)  // graph order
    if (graph.nodes[static_cast<std::size_t>(index)].is_op()) layers.push_back(index);
  return layers;
}

}  // namespace

void map_to_layers(const Graph& graph, const std::vector<OptimizedNode>& optimized,
                   std::vector<EngineNode>& nodes) {
  std::map<std::string, const OptimizedNode*> by_name;
  std::map<std::string, std::string> writer;  // value -> the optimised node that writes it
  for (const OptimizedNode& node : optimized) {
    by_name[node.name] = &node;
    for (const std::string& output : node.outputs)
      writer[output] = node.name;
  }
  const auto layer_names = [&](const std::vector<int>& indices) {
    std::vector<std::string> names;
    for (const int index : indices)
      names.push_back(graph.nodes[static_cast<std::size_t>(index)].name);
    return names;
  };
  std::map<int, std::set<std::string>> named_after;  // layer -> the engine nodes named after it
  for (const EngineNode& node : nodes)
    if (const int layer = layer_named(graph, node.name); layer >= 0) named_after[layer].insert(node.name);
  std::map<std::string, const EngineNode*> mapped;
  for (EngineNode& node : nodes) {
    node.layers.clear();
    node.mapped_by = "none";
    if (const auto found = by_name.find(node.name); found != by_name.end()) {
      if (std::vector<int> layers = covered_layers(graph, *found->second, writer, named_after);
          !layers.empty()) {
        node.layers = layer_names(layers);
        node.mapped_by = "value";
      }
    }
    if (node.layers.empty())
      if (const int layer = layer_named(graph, node.name); layer >= 0) {
        node.layers = {graph.nodes[static_cast<std::size_t>(layer)].name};
        node.mapped_by = "name";
      }
    if (!node.layers.empty()) mapped[node.name] = &node;
  }
  // Inserted nodes: the layer of the mapped node their output feeds, else of the one that feeds them.
  for (EngineNode& node : nodes) {
    if (!node.layers.empty()) continue;
    const auto found = by_name.find(node.name);
    if (found == by_name.end()) continue;
    const std::set<std::string> outputs(found->second->outputs.begin(), found->second->outputs.end());
    // The producer first: a fused epilogue (BiasGelu after a MatMul) and a reorder back from a blocked
    // layout belong to the layer before them; a reorder into one (after a graph input) to the next.
    const EngineNode* neighbour = nullptr;
    for (const std::string& input : found->second->inputs)
      if (const auto source = writer.find(input);
          neighbour == nullptr && source != writer.end() && mapped.count(source->second) != 0)
        neighbour = mapped[source->second];
    for (const OptimizedNode& other : optimized)
      for (const std::string& input : other.inputs)
        if (neighbour == nullptr && outputs.count(input) != 0 && mapped.count(other.name) != 0)
          neighbour = mapped[other.name];
    if (neighbour != nullptr) {
      node.layers = {neighbour->layers.front()};
      node.mapped_by = "neighbour";
    }
  }
}

}  // namespace ntp::onnxruntime
