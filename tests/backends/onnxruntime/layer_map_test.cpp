// ONNX Runtime's optimised graph against NTP's layers: what each of its rewrites looks like to the mapping.
#include "backends/onnxruntime/layer_map.h"

#include <gtest/gtest.h>

#include "../../session/model_specs.h"
#include "ntp/session.h"

namespace {

using ntp::EngineNode;
using ntp::onnxruntime::OptimizedNode;

// deepspeech2's front: conv1, bn1, act1 (hardtanh), conv2, bn2, act2, each a layer of its own.
const ntp::Graph& front_graph() {
  static const ntp::Model model =
      ntp::Model::load(example_spec("deepspeech2.xml", {"frames=20", "hidden=8", "channels=4", "bins=17"}));
  return model.graph();
}

// `optimized` and, for every layer after `last`, a node of the engine that computes just that layer: the
// rest of the graph as the engine runs it unchanged.
std::vector<OptimizedNode> with_rest_after(std::vector<OptimizedNode> optimized, const std::string& last) {
  const ntp::Graph& graph = front_graph();
  bool after = false;
  for (const ntp::Node& node : graph.nodes) {
    if (after && node.is_op()) {
      OptimizedNode rest{node.name, node.op, {}, {}};
      for (const int input : node.inputs)
        rest.inputs.push_back(graph.values[static_cast<std::size_t>(input)].name);
      for (const int output : node.outputs)
        rest.outputs.push_back(graph.values[static_cast<std::size_t>(output)].name);
      optimized.push_back(rest);
    }
    after = after || node.name == last;
  }
  return optimized;
}

std::vector<EngineNode> engine_nodes(const std::vector<OptimizedNode>& optimized) {
  std::vector<EngineNode> nodes;
  for (const OptimizedNode& node : optimized)
    nodes.push_back({node.name, node.op, "CPUExecutionProvider", {}, "", {1.0}});
  return nodes;
}

TEST(OnnxRuntimeLayerMap, AFusedNodeCoversTheLayersBetweenItsInputsAndItsOutput) {
  // Conv + BatchNormalization + Clip fused into one FusedConv that writes act1's value.
  const std::vector<OptimizedNode> optimized =
      with_rest_after({{"conv1", "FusedConv", {"spectrogram", "conv1/W", "conv1/B"}, {"act1"}},
                       {"conv2", "FusedConv", {"act1", "conv2/W", "conv2/B"}, {"act2"}}},
                      "act2");
  std::vector<EngineNode> nodes = engine_nodes(optimized);
  ntp::onnxruntime::map_to_layers(front_graph(), optimized, nodes);
  EXPECT_EQ(nodes[0].layers, (std::vector<std::string>{"conv1", "bn1", "act1"}));
  EXPECT_EQ(nodes[0].mapped_by, "value");
  EXPECT_EQ(nodes[1].layers, (std::vector<std::string>{"conv2", "bn2", "act2"}));
}

TEST(OnnxRuntimeLayerMap, LayoutRewritesMapByNameAndInsertedReordersByNeighbour) {
  // The NCHWc rewrite: new value names throughout, nodes renamed "<layer>_nchwc", reorders inserted.
  const std::vector<OptimizedNode> optimized =
      with_rest_after({{"ReorderInput", "ReorderInput", {"spectrogram"}, {"reorder_token_0"}},
                       {"conv1_nchwc", "Conv", {"reorder_token_0", "w"}, {"reorder_token_1"}},
                       {"bn1_nchwc", "BatchNormalization", {"reorder_token_1"}, {"reorder_token_2"}},
                       {"ReorderOutput", "ReorderOutput", {"reorder_token_2"}, {"bn1"}},
                       {"act1", "Clip", {"bn1"}, {"act1"}}},
                      "act1");
  std::vector<EngineNode> nodes = engine_nodes(optimized);
  ntp::onnxruntime::map_to_layers(front_graph(), optimized, nodes);
  // Nothing feeds ReorderInput but the graph input: the node it feeds decides.
  EXPECT_EQ(nodes[0].layers, std::vector<std::string>{"conv1"});
  EXPECT_EQ(nodes[0].mapped_by, "neighbour");
  EXPECT_EQ(nodes[1].layers, std::vector<std::string>{"conv1"});
  EXPECT_EQ(nodes[1].mapped_by, "name");
  EXPECT_EQ(nodes[2].layers, std::vector<std::string>{"bn1"});
  // ReorderOutput writes bn1's value, but bn1 is bn1_nchwc's: it is the reorder after it, not bn1 itself.
  EXPECT_EQ(nodes[3].layers, std::vector<std::string>{"bn1"});
  EXPECT_EQ(nodes[3].mapped_by, "neighbour");
  EXPECT_EQ(nodes[4].layers, std::vector<std::string>{"act1"});
  EXPECT_EQ(nodes[4].mapped_by, "value");
}

TEST(OnnxRuntimeLayerMap, LayersNoNodeComputesJoinTheNodeBeforeThem) {
  // A blocked convolution named after conv2 that also applied bn2 and act2 (as one summing a residual Add
  // and a Relu into its output does), its output read by the next node as it is: bn2 and act2 have no
  // node, and join it.
  std::vector<OptimizedNode> optimized =
      with_rest_after({{"conv1", "FusedConv", {"spectrogram", "w1"}, {"act1"}},
                       {"ReorderInput", "ReorderInput", {"act1"}, {"reorder_token_0"}},
                       {"conv2_nchwc", "Conv", {"reorder_token_0", "w2"}, {"reorder_token_1"}}},
                      "act2");
  ASSERT_EQ(optimized[3].name, "to_time_major");
  optimized[3].inputs = {"reorder_token_1"};
  std::vector<EngineNode> nodes = engine_nodes(optimized);
  ntp::onnxruntime::map_to_layers(front_graph(), optimized, nodes);
  EXPECT_EQ(nodes[0].layers, (std::vector<std::string>{"conv1", "bn1", "act1"}));
  EXPECT_EQ(nodes[1].layers, std::vector<std::string>{"conv1"});  // the reorder after it, by neighbour
  EXPECT_EQ(nodes[2].layers, (std::vector<std::string>{"conv2", "bn2", "act2"}));
  EXPECT_EQ(nodes[2].mapped_by, "name");
  EXPECT_EQ(nodes[3].layers, std::vector<std::string>{"to_time_major"});
}

TEST(OnnxRuntimeLayerMap, AUsersModelsNodeNamesMapThroughTheValuesTheyWrite) {
  // An imported model's layers are named after their output values; ONNX Runtime names its nodes after the
  // model's nodes, with a suffix of its own where it rewrote one.
  const std::vector<OptimizedNode> original = {{"/head/MatMul", "MatMul", {"lstm5"}, {"fc"}}};
  std::vector<EngineNode> nodes = {{"/head/MatMul/MatMulAddFusion", "Gemm", "", {}, "", {}},
                                   {"/head/Other", "Gemm", "", {}, "", {}}};
  ntp::onnxruntime::map_to_layers(front_graph(), {}, nodes, original);
  EXPECT_EQ(nodes[0].layers, std::vector<std::string>{"fc"});
  EXPECT_EQ(nodes[0].mapped_by, "name");
  EXPECT_EQ(nodes[1].mapped_by, "none");
}

TEST(OnnxRuntimeLayerMap, TheExportersHelperNodesMapToTheirLayerByName) {
  std::vector<EngineNode> nodes = {{"fc/add_bias", "Add", "", {}, "", {}},
                                   {"fc", "MatMul", "", {}, "", {}},
                                   {"MemcpyToHost", "Memcpy", "", {}, "", {}}};
  ntp::onnxruntime::map_to_layers(front_graph(), {}, nodes);  // no optimised model: names alone
  EXPECT_EQ(nodes[0].layers, std::vector<std::string>{"fc"});
  EXPECT_EQ(nodes[0].mapped_by, "name");
  EXPECT_EQ(nodes[1].layers, std::vector<std::string>{"fc"});
  EXPECT_TRUE(nodes[2].layers.empty());
  EXPECT_EQ(nodes[2].mapped_by, "none");
}

}  // namespace
