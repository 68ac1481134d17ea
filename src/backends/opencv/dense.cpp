// fc and matmul as OpenCV's InnerProduct layer: with the weight as a blob (fc), or with both operands as
// inputs (matmul, which OpenCV 4.6 runs batch by batch when the batch dimensions agree).
#include "layers.h"

namespace ntp::opencv {

std::unique_ptr<Kernel> make_fc(const Graph& graph, int node, const CompileOptions& options) {
  const Attributes& attrs = node_at(graph, node).attrs;
  const Shape& in = input_shape(graph, node, 0);
  const auto units = static_cast<int>(attrs.integer("units"));
  const bool bias = attrs.integer("bias") != 0;
  auto kernel = std::make_unique<NetKernel>(graph, node);
  cv::dnn::LayerParams params;
  params.set("num_output", units);
  params.set("bias_term", bias);
  params.set("axis", static_cast<int>(in.size()) - 1);                 // leading axes are rows
  params.blobs.push_back(weight_mat(graph, node, options, "weight"));  // [units, features], as OpenCV's
  if (bias) params.blobs.push_back(weight_mat(graph, node, options, "bias", {1, units}));
  const Pin product = kernel->add("InnerProduct", params, {kernel->input(0)});
  kernel->set_output(add_fused_activation(*kernel, product, attrs));
  kernel->finish();
  return kernel;
}

std::unique_ptr<Kernel> make_matmul(const Graph& graph, int node, const CompileOptions& options) {
  (void)options;
  const Shape& a = input_shape(graph, node, 0);
  const Shape& b = input_shape(graph, node, 1);
  auto kernel = std::make_unique<NetKernel>(graph, node);
  // A 2-D right operand is shared by every row of the left one: [..., M, K] is viewed as [rows, K].
  if (b.size() == 2 && a.size() > 2)
    kernel->view_input_as(0, {static_cast<int>(element_count(a) / a.back()), static_cast<int>(a.back())});
  Pin right = kernel->input(1);
  if (node_at(graph, node).attrs.integer("transpose_b") != 0) {
    // [..., N, K] -> [..., K, N]: OpenCV 4.6's two-input InnerProduct has no transposed operand.
    std::vector<int> order(b.size());
    for (std::size_t d = 0; d < order.size(); ++d)
      order[d] = static_cast<int>(d);
    std::swap(order[order.size() - 1], order[order.size() - 2]);
    cv::dnn::LayerParams permute;
    permute.set("order", cv::dnn::DictValue::arrayInt(order.data(), static_cast<int>(order.size())));
    right = kernel->add("Permute", permute, {right});
  }
  const Pin product = kernel->add("InnerProduct", cv::dnn::LayerParams(), {kernel->input(0), right});
  kernel->set_output(product);
  kernel->finish();
  return kernel;
}

}  // namespace ntp::opencv
