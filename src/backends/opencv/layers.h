// The node factories of the opencv back end, one per op family, and what they share. Each builds the node's
// NetKernel from OpenCV DNN layers; OpenCV's exceptions reach the back end, which names the node.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net_kernel.h"
#include "ntp/backend.h"
#include "ntp/graph.h"

namespace ntp::opencv {

using Factory = std::function<std::unique_ptr<Kernel>(const Graph&, int node, const CompileOptions&)>;

std::unique_ptr<Kernel> make_fc(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_matmul(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_conv(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_pool(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_batchnorm(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_activation(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_softmax(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_eltwise(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_concat(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_transpose(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_reshape(const Graph& graph, int node, const CompileOptions& options);
std::unique_ptr<Kernel> make_lstm(const Graph& graph, int node, const CompileOptions& options);

// The activation fused into fc and conv layers (attributes activation, clip, alpha) as a layer after `from`;
// `from` itself when there is none.
Pin add_fused_activation(NetKernel& kernel, Pin from, const Attributes& attrs);
// Whether OpenCV 4.6 has a layer for that fused activation (it has no GELU).
bool has_fused_activation(const Attributes& attrs);

inline const Node& node_at(const Graph& graph, int node) {
  return graph.nodes.at(static_cast<std::size_t>(node));
}
inline const Shape& input_shape(const Graph& graph, int node, std::size_t index) {
  return graph.values[static_cast<std::size_t>(node_at(graph, node).inputs.at(index))].shape;
}
inline const Shape& output_shape(const Graph& graph, int node) {
  return graph.values[static_cast<std::size_t>(node_at(graph, node).outputs.at(0))].shape;
}

}  // namespace ntp::opencv
