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

// The layers `node` computes: `start`, and back from there towards its inputs every layer that no other
// engine node is named after or writes the value of (what the engine fused away), once all that reads its
// outputs has joined (so a branch read elsewhere stays out), where that walk ends at the node's own inputs
// or the graph's.
// What the walks below ask of the graph and the engine's nodes, indexed once.
struct GraphIndex {
  std::map<std::string, std::string> writer;         // value -> the optimised node that writes it
  std::map<int, std::set<std::string>> named_after;  // layer -> the engine nodes named after it
  std::vector<std::vector<int>> readers;             // value index -> the layers that read it
};

std::vector<int> covered_layers(const Graph& graph, const OptimizedNode& node, const std::vector<int>& start,
                                const GraphIndex& index) {
  const auto& writer = index.writer;
  const auto& named_after = index.named_after;
  const auto& readers = index.readers;
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
  for (const int layer : start)
    if (!belongs_elsewhere(layer) && graph.nodes[static_cast<std::size_t>(layer)].is_op())
      covered.insert(layer);
  const auto read_only_inside = [&](int producer) {
    for (const int output : graph.nodes[static_cast<std::size_t>(producer)].outputs)
      for (const int reader : readers[static_cast<std::size_t>(output)])
        if (covered.count(reader) == 0) return false;
    return true;
  };
  const std::set<int> started = covered;
  bool foreign = false;  // the walk met another node's layer, not this node's inputs
  for (bool grew = !covered.empty(); grew && covered.size() < graph.nodes.size();) {
    grew = false;
    for (const int layer : std::vector<int>(covered.begin(), covered.end()))
      for (const int input : graph.nodes[static_cast<std::size_t>(layer)].inputs) {
        const Value& value = graph.values[static_cast<std::size_t>(input)];
        const int producer = value.producer;
        if (producer < 0 || inputs.count(value.name) != 0 || covered.count(producer) != 0 ||
            !graph.nodes[static_cast<std::size_t>(producer)].is_op())
          continue;
        if (written_elsewhere(value.name) || belongs_elsewhere(producer) || !read_only_inside(producer)) {
          foreign = true;
          continue;
        }
        covered.insert(producer);
        grew = true;
      }
  }
  // Layers between another node's and this one's are ambiguous (either may have fused them): this node
  // keeps its own, and join_orphans gives them to the node before, as engines fuse forward (Conv + Relu).
  if (foreign) covered = started;
  return {covered.begin(), covered.end()};  // graph order
}

// Layers no engine node computes, after a node that does (the residual Add and Relu a blocked convolution
// summed into its output, a Flatten the engine removed): each joins the node that computes the latest of its
// inputs' producers, in graph order so that a chain of them follows along. Layers that read only graph
// inputs stay alone.
void join_orphans(const Graph& graph, std::vector<EngineNode>& nodes) {
  std::map<std::string, std::size_t> node_of_layer;  // layer -> the engine node covering it
  for (std::size_t n = 0; n < nodes.size(); ++n)
    for (const std::string& layer : nodes[n].layers)
      node_of_layer.emplace(layer, n);
  for (std::size_t l = 0; l < graph.nodes.size(); ++l) {
    const Node& layer = graph.nodes[l];
    if (!layer.is_op() || node_of_layer.count(layer.name) != 0) continue;
    int latest = -1;
    for (const int input : layer.inputs)
      if (const int producer = graph.values[static_cast<std::size_t>(input)].producer;
          producer > latest && node_of_layer.count(graph.nodes[static_cast<std::size_t>(producer)].name) != 0)
        latest = producer;
    if (latest < 0) continue;
    const std::size_t owner = node_of_layer.at(graph.nodes[static_cast<std::size_t>(latest)].name);
    nodes[owner].layers.push_back(layer.name);  // after its inputs' layers: graph order holds
    node_of_layer.emplace(layer.name, owner);
  }
}

}  // namespace

void map_to_layers(const Graph& graph, const std::vector<OptimizedNode>& optimized,
                   std::vector<EngineNode>& nodes, const std::vector<OptimizedNode>& original) {
  // A node of the model ONNX Runtime was given -> the layer that writes its first output NTP knows (an
  // imported model's layers are named after their output values, not after the ONNX nodes).
  std::map<std::string, int> layer_of_original;
  for (const OptimizedNode& node : original)
    for (const std::string& output : node.outputs)
      if (const int value = graph.find_value(output); value >= 0)
        if (const int producer = graph.values[static_cast<std::size_t>(value)].producer; producer >= 0) {
          layer_of_original.emplace(node.name, producer);
          break;
        }
  // The layer an engine node is named after: a node of the given model, itself or with the engine's suffix
  // ("/blocks.0/mlp/MatMul/MatMulAddFusion"), else a layer's own name (layer_named).
  const auto named = [&](const std::string& engine_name) {
    for (std::string name = engine_name; !name.empty(); name = name.substr(0, name.rfind('/'))) {
      if (const auto found = layer_of_original.find(name); found != layer_of_original.end())
        return found->second;
      if (name.rfind('/') == std::string::npos || name.rfind('/') == 0) break;
    }
    return layer_named(graph, engine_name);
  };
  std::map<std::string, const OptimizedNode*> by_name;
  GraphIndex index;
  const std::map<std::string, std::string>& writer = index.writer;
  for (const OptimizedNode& node : optimized) {
    by_name[node.name] = &node;
    for (const std::string& output : node.outputs)
      index.writer[output] = node.name;
  }
  for (const EngineNode& node : nodes)
    if (const int layer = named(node.name); layer >= 0) index.named_after[layer].insert(node.name);
  index.readers.resize(graph.values.size());
  for (std::size_t n = 0; n < graph.nodes.size(); ++n)
    if (graph.nodes[n].is_op())
      for (const int input : graph.nodes[n].inputs)
        index.readers[static_cast<std::size_t>(input)].push_back(static_cast<int>(n));
  const auto layer_names = [&](const std::vector<int>& indices) {
    std::vector<std::string> names;
    for (const int layer : indices)
      names.push_back(graph.nodes[static_cast<std::size_t>(layer)].name);
    return names;
  };
  std::map<std::string, const EngineNode*> mapped;
  for (EngineNode& node : nodes) {
    node.layers.clear();
    node.mapped_by = "none";
    const auto found = by_name.find(node.name);
    const OptimizedNode unknown{node.name, node.op, {}, {}};  // not in the optimised model: its name alone
    const OptimizedNode& optimized_node = found != by_name.end() ? *found->second : unknown;
    std::vector<int> writes;  // the layers whose values it writes
    for (const std::string& output : optimized_node.outputs)
      if (const int value = graph.find_value(output); value >= 0)
        if (const int producer = graph.values[static_cast<std::size_t>(value)].producer; producer >= 0)
          writes.push_back(producer);
    if (std::vector<int> layers = covered_layers(graph, optimized_node, writes, index); !layers.empty()) {
      node.layers = layer_names(layers);
      node.mapped_by = "value";
    } else if (const int layer = named(node.name); layer >= 0) {
      // Without the optimised graph nothing says which layers other nodes took: the named layer alone.
      if (!optimized.empty()) layers = covered_layers(graph, optimized_node, {layer}, index);
      node.layers = layer_names(layers.empty() ? std::vector<int>{layer} : layers);
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
  if (!optimized.empty()) join_orphans(graph, nodes);
}

}  // namespace ntp::onnxruntime
