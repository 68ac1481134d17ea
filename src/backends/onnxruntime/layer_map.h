// Which NTP layers each node of ONNX Runtime's optimised graph computes: what turns the engine's per-node
// profile into a per-layer one.
#pragma once

#include <string>
#include <vector>

#include "ntp/backend.h"
#include "ntp/graph.h"

namespace ntp::onnxruntime {

// A node of the optimised model ONNX Runtime wrote (optimizedModelFilePath).
struct OptimizedNode {
  std::string name, op;
  std::vector<std::string> inputs, outputs;
};

// The nodes of an ONNX model file; throws UserError when it cannot be read.
std::vector<OptimizedNode> read_model_nodes(const std::string& path);

// Sets each engine node's `layers` and `mapped_by`, in this order of evidence:
//  value:     an output of the node is a value of the graph: the layer that writes it;
//  name:      the node is named after a layer: "fc1", "fc1/add_bias" (the exporter's helper nodes),
//             "conv1_nchwc" (the engine's layout rewrite of conv1), or after a node of the given model
//             that writes a layer's value ("/mlp/MatMul/MatMulAddFusion" after "/mlp/MatMul");
//  neighbour: a node the engine inserted or renamed (a layout reorder, a fused epilogue): the layer of
//             the node that feeds it, else of the node it feeds;
//  none:      nothing ties it to a layer.
// From a value or a name the node also covers the layers before it that no other engine node is named
// after or writes (what the engine fused into it: Conv + BatchNormalization + Clip), up to its inputs.
// A layer no node computes then joins the node that computes the latest of its inputs (the engine fused it
// forward: a residual Add and Relu summed into a blocked convolution; or removed it: a Flatten).
// `optimized` may be empty (no optimised model): names alone then decide, nothing is joined.
// `original`: the nodes of the model ONNX Runtime was given, which tie its node names to layers where the
// layers are named otherwise (an imported model's, after their output values).
void map_to_layers(const Graph& graph, const std::vector<OptimizedNode>& optimized,
                   std::vector<EngineNode>& nodes, const std::vector<OptimizedNode>& original = {});

}  // namespace ntp::onnxruntime
