// Spatial and normalising layers: conv1d / conv2d and their transposes (with their fused activation),
// pooling, batch and layer normalisation.
#include <ATen/native/ConvUtils.h>

#include "common.h"
#include "ntp/op_schema.h"

namespace ntp::libtorch {

namespace {

// The convolution algorithm ATen selects for these operands (oneDNN, or its own im2col + BLAS "slow" path).
std::string conv_backend_name(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                              at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation,
                              std::int64_t groups) {
  using at::native::ConvBackend;
  const std::vector<std::int64_t> no_output_padding(stride.size(), 0);
  const ConvBackend backend = at::native::select_conv_backend(
      input, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt, stride, padding,
      dilation, false, no_output_padding, groups);
  switch (backend) {
    case ConvBackend::Mkldnn:
      return "oneDNN";
    case ConvBackend::Slow2d:
    case ConvBackend::SlowDilated2d:
      return "im2col + " + gemm_library(input.scalar_type());
    case ConvBackend::Xnnpack2d:
      return "XNNPACK";
    default:
      return "other";
  }
}

}  // namespace

std::unique_ptr<Kernel> make_conv(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const at::ScalarType type = scalar_type(io);
  const Shape& in = input_value(graph, node_index, 0).shape;
  const std::size_t dims = in.size() - 2;
  const auto stride = per_dimension(node.attrs, "stride", dims, {1});
  const auto padding = per_dimension(node.attrs, "padding", dims, {0});
  const auto dilation = per_dimension(node.attrs, "dilation", dims, {1});
  const std::int64_t groups = node.attrs.integer("groups");
  const at::Tensor filters = weight(graph, node_index, options, "weight", type);
  const at::Tensor bias =
      node.attrs.integer("bias") != 0 ? weight(graph, node_index, options, "bias", type) : at::Tensor();
  const Attributes attrs = node.attrs;
  const std::string chosen =
      conv_backend_name(at::empty(sizes_of(in), type), filters, bias, stride, padding, dilation, groups);
  return std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        output.copy_(dims == 1 ? at::conv1d(inputs[0], filters, bias, stride, padding, dilation, groups)
                               : at::conv2d(inputs[0], filters, bias, stride, padding, dilation, groups));
        apply_activation(attrs, output);
      },
      fmt::format("aten::conv{}d ({})", dims, chosen));
}

std::unique_ptr<Kernel> make_conv_transpose(const Graph& graph, int node_index,
                                            const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  // LibTorch 1.13's bf16 transposed convolution (through mkldnn) checks the weight as if it were a
  // convolution's and refuses grouped or non-square channel counts; bf16 runs it in fp32 instead.
  const at::ScalarType type = io == DType::bf16 ? at::kFloat : scalar_type(io);
  const std::size_t dims = input_value(graph, node_index, 0).shape.size() - 2;
  const auto stride = per_dimension(node.attrs, "stride", dims, {1});
  const auto padding = per_dimension(node.attrs, "padding", dims, {0});
  const auto output_padding = per_dimension(node.attrs, "output_padding", dims, {0});
  const auto dilation = per_dimension(node.attrs, "dilation", dims, {1});
  const std::int64_t groups = node.attrs.integer("groups");
  const at::Tensor filters = weight(graph, node_index, options, "weight", type);  // [C, F/groups, k...]
  const at::Tensor bias =
      node.attrs.integer("bias") != 0 ? weight(graph, node_index, options, "bias", type) : at::Tensor();
  const Attributes attrs = node.attrs;
  return std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        const at::Tensor x = inputs[0].to(type);
        output.copy_(
            dims == 1
                ? at::conv_transpose1d(x, filters, bias, stride, padding, output_padding, groups, dilation)
                : at::conv_transpose2d(x, filters, bias, stride, padding, output_padding, groups, dilation));
        apply_activation(attrs, output);
      },
      fmt::format("aten::conv_transpose{}d{}", dims, io == DType::bf16 ? " (in fp32)" : ""));
}

bool pool_padding_fits(const Graph& graph, int node_index) {
  const Node& node = node_at(graph, node_index);
  const std::size_t dims = input_value(graph, node_index, 0).shape.size() - 2;
  const auto kernel = per_dimension(node.attrs, "kernel", dims, {1});
  const auto padding = per_dimension(node.attrs, "padding", dims, {0});
  for (std::size_t d = 0; d < dims && d < kernel.size() && d < padding.size(); ++d)
    if (2 * padding[d] > kernel[d]) return false;
  return dims == 1 || dims == 2;
}

std::unique_ptr<Kernel> make_pool(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const std::size_t dims = input_value(graph, node_index, 0).shape.size() - 2;
  if (node.op == "global_avgpool" || node.op == "global_maxpool") {
    std::vector<std::int64_t> axes;
    for (std::size_t d = 0; d < dims; ++d)
      axes.push_back(static_cast<std::int64_t>(d + 2));
    const bool average = node.op == "global_avgpool";
    return std::make_unique<TorchKernel>(
        node, io,
        [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
          if (average)
            at::mean_out(output, inputs[0], axes, true);
          else
            at::amax_out(output, inputs[0], axes, true);
        },
        average ? "aten::mean" : "aten::amax");
  }
  const auto kernel = per_dimension(node.attrs, "kernel", dims, {1});
  const auto stride = per_dimension(node.attrs, "stride", dims, kernel);
  const auto padding = per_dimension(node.attrs, "padding", dims, {0});
  const bool max = node.op == "maxpool";
  const bool include_pad = !max && node.attrs.integer("count_include_pad") != 0;
  return std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        const at::Tensor& x = inputs[0];
        if (max)
          output.copy_(dims == 1 ? at::max_pool1d(x, kernel, stride, padding)
                                 : at::max_pool2d(x, kernel, stride, padding));
        else
          output.copy_(dims == 1 ? at::avg_pool1d(x, kernel, stride, padding, false, include_pad)
                                 : at::avg_pool2d(x, kernel, stride, padding, false, include_pad));
      },
      fmt::format("aten::{}_pool{}d", max ? "max" : "avg", dims));
}

std::unique_ptr<Kernel> make_norm(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const DType io = io_type(options.precision);
  const at::ScalarType type = scalar_type(io);
  const double epsilon = node.attrs.real("epsilon");
  const at::Tensor scale = weight(graph, node_index, options, "scale", type);
  const at::Tensor shift = weight(graph, node_index, options, "shift", type);
  if (node.op == "layernorm") {
    const std::int64_t width = input_value(graph, node_index, 0).shape.back();
    return std::make_unique<TorchKernel>(
        node, io,
        [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
          output.copy_(at::layer_norm(inputs[0], {width}, scale, shift, epsilon));
        },
        "aten::layer_norm");
  }
  const at::Tensor mean = weight(graph, node_index, options, "mean", type);
  const at::Tensor variance = weight(graph, node_index, options, "variance", type);
  return std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        output.copy_(at::batch_norm(inputs[0], scale, shift, mean, variance, false, 0.0, epsilon, false));
      },
      "aten::batch_norm");
}

}  // namespace ntp::libtorch
