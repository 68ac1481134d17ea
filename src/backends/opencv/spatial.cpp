// Convolution, pooling and batch norm on [N, C, L] or [N, C, H, W]. OpenCV works on 4-D blobs: rank 3 is
// viewed as height 1 (the same row-major elements), and weights [F, C/g, k] as [F, C/g, 1, k].
#include <fmt/format.h>

#include "backends/reference/kernels.h"
#include "layers.h"

namespace ntp::opencv {

namespace {

// The node's [N, C, spatial...] input as a 4-D blob, height 1 for rank 3.
std::vector<int> as_4d(const Shape& shape) {
  if (shape.size() == 3)
    return {static_cast<int>(shape[0]), static_cast<int>(shape[1]), 1, static_cast<int>(shape[2])};
  return to_cv_shape(shape);
}

// Sets name_h / name_w from an attribute given per spatial dimension (height 1 for rank 3).
void set_hw(cv::dnn::LayerParams& params, const std::string& name, const std::vector<std::int64_t>& values,
            int height_default) {
  params.set(name + "_h", values.size() == 2 ? static_cast<int>(values[0]) : height_default);
  params.set(name + "_w", static_cast<int>(values.back()));
}

}  // namespace

std::unique_ptr<Kernel> make_conv(const Graph& graph, int node, const CompileOptions& options) {
  const reference::NodeView view(graph, node, options.weights);
  const Attributes& attrs = view.attrs();
  const Shape& in = view.input_shape(0);
  const std::size_t spatial = in.size() - 2;
  const auto filters = static_cast<int>(attrs.integer("filters"));
  const auto groups = static_cast<int>(attrs.integer("groups"));
  const bool bias = attrs.integer("bias") != 0;
  auto kernel = std::make_unique<NetKernel>(graph, node);
  kernel->view_input_as(0, as_4d(in));
  cv::dnn::LayerParams params;
  set_hw(params, "kernel", reference::per_dimension(view, "kernel", spatial), 1);
  set_hw(params, "stride", reference::per_dimension(view, "stride", spatial, {1}), 1);
  set_hw(params, "pad", reference::per_dimension(view, "padding", spatial, {0}), 0);
  set_hw(params, "dilation", reference::per_dimension(view, "dilation", spatial, {1}), 1);
  params.set("num_output", filters);
  params.set("group", groups);
  params.set("bias_term", bias);
  const Shape weight_shape = view.weight("weight").shape();  // [F, C/g, kernel...]
  params.blobs.push_back(weight_mat(graph, node, options, "weight", as_4d(weight_shape)));
  if (bias) params.blobs.push_back(weight_mat(graph, node, options, "bias", {1, filters}));
  const Pin conv = kernel->add("Convolution", params, {kernel->input(0)});
  kernel->set_output(add_fused_activation(*kernel, conv, attrs));
  kernel->finish();
  return kernel;
}

std::unique_ptr<Kernel> make_pool(const Graph& graph, int node, const CompileOptions& options) {
  const reference::NodeView view(graph, node, options.weights);
  const std::string& op = view.node().op;
  const Shape& in = view.input_shape(0);
  const std::size_t spatial = in.size() - 2;
  auto kernel = std::make_unique<NetKernel>(graph, node);
  kernel->view_input_as(0, as_4d(in));
  cv::dnn::LayerParams params;
  const bool maximum = op == "maxpool" || op == "global_maxpool";
  params.set("pool", maximum ? "MAX" : "AVE");
  if (op == "global_avgpool" || op == "global_maxpool") {
    params.set("global_pooling", true);
  } else {
    const auto window = reference::per_dimension(view, "kernel", spatial);
    set_hw(params, "kernel", window, 1);
    set_hw(params, "stride", reference::per_dimension(view, "stride", spatial, window), 1);
    set_hw(params, "pad", reference::per_dimension(view, "padding", spatial, {0}), 0);
    // NTP floors the output size and, unless asked, averages over the window's valid elements only;
    // OpenCV's defaults are the other way round.
    params.set("ceil_mode", false);
    params.set("ave_pool_padded_area", !maximum && view.attrs().integer("count_include_pad") != 0);
  }
  kernel->set_output(kernel->add("Pooling", params, {kernel->input(0)}));
  kernel->finish();
  return kernel;
}

std::unique_ptr<Kernel> make_batchnorm(const Graph& graph, int node, const CompileOptions& options) {
  const Attributes& attrs = node_at(graph, node).attrs;
  const Shape& in = input_shape(graph, node, 0);
  const auto channels = static_cast<int>(in[1]);
  auto kernel = std::make_unique<NetKernel>(graph, node);
  // Channels on axis 1, everything after it as the height of a 4-D blob.
  kernel->view_input_as(0,
                        {static_cast<int>(in[0]), channels,
                         static_cast<int>(element_count(in) / std::max<std::int64_t>(in[0] * in[1], 1)), 1});
  cv::dnn::LayerParams params;
  params.set("eps", attrs.real("epsilon"));
  params.set("has_weight", true);
  params.set("has_bias", true);
  for (const char* name : {"mean", "variance", "scale", "shift"})  // OpenCV's blob order
    params.blobs.push_back(weight_mat(graph, node, options, name, {1, channels}));
  kernel->set_output(kernel->add("BatchNorm", params, {kernel->input(0)}));
  kernel->finish();
  return kernel;
}

}  // namespace ntp::opencv
