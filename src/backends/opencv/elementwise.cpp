// Activations, softmax, add/mul (Eltwise), concat, transpose (Permute), reshape and flatten (Reshape).
#include "backends/reference/kernels.h"
#include "layers.h"
#include "ntp/fused_activation.h"

namespace ntp::opencv {

namespace {

// ReLU6 is OpenCV's clamp to [min_value, max_value].
cv::dnn::LayerParams clamp(double low, double high) {
  cv::dnn::LayerParams params;
  params.set("min_value", low);
  params.set("max_value", high);
  return params;
}

cv::dnn::LayerParams leaky(double slope) {
  cv::dnn::LayerParams params;
  params.set("negative_slope", slope);
  return params;
}

std::size_t axis_of(const Graph& graph, int node, std::size_t rank, const CompileOptions& options) {
  const reference::NodeView view(graph, node, options.weights);
  return reference::normalise_axis(view, view.attrs().integer("axis"), rank);
}

std::unique_ptr<Kernel> single_layer(const Graph& graph, int node, const std::string& type,
                                     const cv::dnn::LayerParams& params) {
  auto kernel = std::make_unique<NetKernel>(graph, node);
  std::vector<Pin> sources;
  for (std::size_t k = 0; k < node_at(graph, node).inputs.size(); ++k)
    sources.push_back(kernel->input(k));
  kernel->set_output(kernel->add(type, params, sources));
  kernel->finish();
  return kernel;
}

}  // namespace

bool has_fused_activation(const Attributes& attrs) {
  return FusedActivation::of(attrs).kind != FusedActivation::Kind::gelu;
}

Pin add_fused_activation(NetKernel& kernel, Pin from, const Attributes& attrs) {
  const FusedActivation activation = FusedActivation::of(attrs);
  switch (activation.kind) {
    case FusedActivation::Kind::relu:
      return activation.clip > 0 ? kernel.add("ReLU6", clamp(0, activation.clip), {from})
                                 : kernel.add("ReLU", {}, {from});
    case FusedActivation::Kind::leaky_relu:
      return kernel.add("ReLU", leaky(activation.alpha), {from});
    case FusedActivation::Kind::tanh:
      return kernel.add("TanH", {}, {from});
    case FusedActivation::Kind::sigmoid:
      return kernel.add("Sigmoid", {}, {from});
    case FusedActivation::Kind::none:
      return from;
    case FusedActivation::Kind::gelu:
      break;
  }
  throw std::logic_error("OpenCV has no layer for activation " + std::string(activation.name()));
}

std::unique_ptr<Kernel> make_activation(const Graph& graph, int node, const CompileOptions&) {
  const Node& n = node_at(graph, node);
  const Attributes& attrs = n.attrs;
  if (n.op == "relu") {
    const double clip = attrs.real("clip");
    return clip > 0 ? single_layer(graph, node, "ReLU6", clamp(0, clip))
                    : single_layer(graph, node, "ReLU", {});
  }
  if (n.op == "leaky_relu") return single_layer(graph, node, "ReLU", leaky(attrs.real("alpha")));
  if (n.op == "hardtanh")
    return single_layer(graph, node, "ReLU6", clamp(attrs.real("min_val"), attrs.real("max_val")));
  if (n.op == "tanh") return single_layer(graph, node, "TanH", {});
  return single_layer(graph, node, "Sigmoid", {});
}

std::unique_ptr<Kernel> make_softmax(const Graph& graph, int node, const CompileOptions& options) {
  cv::dnn::LayerParams params;
  params.set("axis", static_cast<int>(axis_of(graph, node, input_shape(graph, node, 0).size(), options)));
  params.set("log_softmax", node_at(graph, node).op == "log_softmax");
  return single_layer(graph, node, "Softmax", params);
}

std::unique_ptr<Kernel> make_eltwise(const Graph& graph, int node, const CompileOptions&) {
  cv::dnn::LayerParams params;
  params.set("operation", node_at(graph, node).op == "add" ? "sum" : "prod");
  return single_layer(graph, node, "Eltwise", params);
}

std::unique_ptr<Kernel> make_concat(const Graph& graph, int node, const CompileOptions& options) {
  cv::dnn::LayerParams params;
  params.set("axis", static_cast<int>(axis_of(graph, node, output_shape(graph, node).size(), options)));
  return single_layer(graph, node, "Concat", params);
}

std::unique_ptr<Kernel> make_transpose(const Graph& graph, int node, const CompileOptions&) {
  const std::vector<std::int64_t>& perm = node_at(graph, node).attrs.integers("perm");
  const std::vector<int> order(perm.begin(), perm.end());
  cv::dnn::LayerParams params;
  params.set("order", cv::dnn::DictValue::arrayInt(order.data(), static_cast<int>(order.size())));
  return single_layer(graph, node, "Permute", params);
}

// reshape and flatten: the graph already knows the output shape.
std::unique_ptr<Kernel> make_reshape(const Graph& graph, int node, const CompileOptions&) {
  const std::vector<int> dims = to_cv_shape(output_shape(graph, node));
  cv::dnn::LayerParams params;
  params.set("dim", cv::dnn::DictValue::arrayInt(dims.data(), static_cast<int>(dims.size())));
  return single_layer(graph, node, "Reshape", params);
}

}  // namespace ntp::opencv
