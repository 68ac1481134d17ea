// Convolutions: conv1d [N, C, L] and conv2d [N, C, H, W], with stride, padding, dilation, groups and a fused
// activation.
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

std::int64_t window_output(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                           std::int64_t dilation, const std::string& what) {
  if (kernel <= 0 || stride <= 0 || pad < 0 || dilation <= 0)
    throw ShapeError(
        fmt::format("{}: kernel {}, stride {}, dilation {} must be positive and padding {} not negative",
                    what, kernel, stride, dilation, pad));
  const std::int64_t span =
      checked_add(checked_mul(dilation, kernel - 1, what + " window"), 1, what + " window");
  const std::int64_t padded = checked_add(in, checked_mul(2, pad, what + " padding"), what + " padding");
  if (padded < span)
    throw ShapeError(
        fmt::format("{}: a window of {} does not fit in {} (+{} padding on each side)", what, span, in, pad),
        "use a smaller kernel or more padding");
  return (padded - span) / stride + 1;
}

namespace {

// The attributes of both directions, in order; `padding` means something else for the transpose, which
// also takes output_padding.
std::vector<AttrSpec> convolution_attrs(std::size_t dims, bool transposed) {
  std::vector<AttrSpec> attrs = {
      required_integer("filters", "output channels"),
      required_integers("kernel", dims == 1 ? "kernel width" : "kernel size \"kh,kw\" (one value for both)"),
      integers_attr("stride", {1}, "stride per spatial dimension (one value for all)"),
      integers_attr("padding", {0},
                    transposed ? "cropped from each side of the output, per spatial dimension"
                               : "zero padding on each side, per spatial dimension")};
  if (transposed)
    attrs.push_back(integers_attr("output_padding", {0},
                                  "added to one side of the output (less than stride or dilation)"));
  attrs.push_back(integers_attr("dilation", {1}, "dilation per spatial dimension"));
  attrs.push_back(integer_attr(
      "groups", 1, transposed ? "channel groups" : "channel groups (C for a depthwise convolution)"));
  attrs.push_back(integer_attr("bias", 1, "1 to add a learned bias, 0 for none"));
  for (auto& attr : fused_activation_attrs())
    attrs.push_back(std::move(attr));
  return attrs;
}

// Both directions' attributes, read and checked against the input once.
struct ConvAttributes {
  std::int64_t channels = 0;
  std::int64_t filters = 0;
  std::int64_t groups = 1;
  std::vector<std::int64_t> kernel, stride, padding, dilation;  // one value per spatial dimension
};

ConvAttributes read_convolution(const OpContext& ctx, std::size_t dims, const std::string& name) {
  const Shape& input = ctx.in(0);
  expect_rank(input, dims + 2, dims + 2, fmt::format("{} input", name));
  ConvAttributes c{input[1],
                   ctx.attrs.integer("filters"),
                   ctx.attrs.integer("groups"),
                   per_dimension(ctx.attrs, "kernel", dims),
                   per_dimension(ctx.attrs, "stride", dims),
                   per_dimension(ctx.attrs, "padding", dims),
                   per_dimension(ctx.attrs, "dilation", dims)};
  expect_positive(c.filters, "filters");
  expect_positive(c.groups, "groups");
  if (c.channels % c.groups != 0 || c.filters % c.groups != 0)
    throw ShapeError(fmt::format("{} input channels and {} filters must both divide into {} groups",
                                 c.channels, c.filters, c.groups),
                     "groups must divide both C (axis 1 of the input) and filters");
  check_fused_activation(ctx.attrs);
  return c;
}

// The output, the weight and (when asked for) the bias, initialised by fan-in.
InferResult convolution_result(const OpContext& ctx, Shape out, Shape weight, std::int64_t fan_in,
                               std::int64_t filters) {
  InferResult result;
  result.outputs.push_back({std::move(out), ctx.inputs[0]->dtype});
  result.weights.push_back({"weight", std::move(weight), fan_in_uniform(fan_in)});
  if (ctx.attrs.integer("bias") != 0) result.weights.push_back({"bias", {filters}, fan_in_uniform(fan_in)});
  return result;
}

OpSchema convolution(const std::string& name, std::size_t dims) {
  OpSchema op;
  op.name = name;
  op.family = "conv";
  op.layout = dims == 1 ? "[N, C, L]" : "[N, C, H, W]";
  op.summary = fmt::format(
      "{}-D convolution (cross-correlation) with stride, symmetric zero padding, dilation and groups; weight "
      "[filters, C/groups, {}], bias [filters]; output size floor((in + 2*padding - dilation*(kernel-1) - "
      "1)/stride) "
      "+ 1. A single value of kernel, stride, padding or dilation applies to every spatial dimension. FLOPs: "
      "2 * N * filters * output positions * C/groups * kernel volume, plus one per output for the bias and "
      "one for the activation; bytes: input, weights and output.",
      dims, dims == 1 ? "kernel" : "kh, kw");
  op.attrs = convolution_attrs(dims, false);
  op.infer = [dims, name](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    const auto [channels, filters, groups, kernel, stride, padding, dilation] =
        read_convolution(ctx, dims, name);
    Shape out = {input[0], filters};
    Shape weight = {filters, channels / groups};
    std::int64_t volume = channels / groups;
    for (std::size_t d = 0; d < dims; ++d) {
      out.push_back(window_output(input[2 + d], kernel[d], stride[d], padding[d], dilation[d],
                                  "spatial dimension " + std::to_string(d)));
      weight.push_back(kernel[d]);
      volume = checked_mul(volume, kernel[d], "kernel volume");
    }
    return convolution_result(ctx, out, weight, volume, filters);
  };
  op.cost = [](const OpContext& ctx) {
    const Shape& weight = ctx.node.weights.at(0).shape;
    const double per_output = elements(Shape(weight.begin() + 1, weight.end()));  // C/groups * kernel volume
    const double outputs = elements(ctx.outputs.at(0)->shape);
    double flops = 2.0 * outputs * per_output;
    if (ctx.attrs.integer("bias") != 0) flops += outputs;
    flops += fused_activation_flops(ctx.attrs, outputs);
    return default_cost(ctx, flops);
  };
  return op;
}

// Transposed convolution (the gradient of a convolution with respect to its input; "deconvolution"), with
// PyTorch's and ONNX's weight layout [C, filters/groups, kernel...].
OpSchema transposed_convolution(const std::string& name, std::size_t dims) {
  OpSchema op;
  op.name = name;
  op.family = "conv";
  op.layout = dims == 1 ? "[N, C, L]" : "[N, C, H, W]";
  op.summary = fmt::format(
      "{}-D transposed convolution (ONNX ConvTranspose, PyTorch ConvTranspose{}d): every input position "
      "scatters kernel * x into the output, with stride, padding cropped from each side, output_padding "
      "added "
      "at the end, dilation and groups; weight [C, filters/groups, {}], bias [filters]; output size "
      "(in - 1)*stride - 2*padding + dilation*(kernel-1) + output_padding + 1. FLOPs: 2 * N * C * input "
      "positions * filters/groups * kernel volume, plus one per output for the bias and one for the "
      "activation; bytes: input, weights and output.",
      dims, dims, dims == 1 ? "kernel" : "kh, kw");
  op.attrs = convolution_attrs(dims, true);
  op.infer = [dims, name](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    const auto [channels, filters, groups, kernel, stride, padding, dilation] =
        read_convolution(ctx, dims, name);
    const auto output_padding = per_dimension(ctx.attrs, "output_padding", dims);
    Shape out = {input[0], filters};
    Shape weight = {channels, filters / groups};
    std::int64_t volume = filters / groups;
    for (std::size_t d = 0; d < dims; ++d) {
      const std::string what = "spatial dimension " + std::to_string(d);
      if (kernel[d] <= 0 || stride[d] <= 0 || dilation[d] <= 0 || padding[d] < 0 || output_padding[d] < 0)
        throw ShapeError(
            fmt::format("{}: kernel, stride and dilation must be positive, padding and "
                        "output_padding not negative",
                        what));
      if (output_padding[d] >= std::max(stride[d], dilation[d]))
        throw ShapeError(
            fmt::format("{}: output_padding {} must be less than the stride {} or the dilation {}", what,
                        output_padding[d], stride[d], dilation[d]));
      const std::int64_t full = checked_add(checked_add(checked_mul(input[2 + d] - 1, stride[d], what),
                                                        checked_mul(dilation[d], kernel[d] - 1, what), what),
                                            output_padding[d] + 1, what);
      if (full - 2 * padding[d] <= 0)
        throw ShapeError(
            fmt::format("{}: padding {} on each side crops all {} output positions", what, padding[d], full),
            "use less padding");
      out.push_back(full - 2 * padding[d]);
      weight.push_back(kernel[d]);
      volume = checked_mul(volume, kernel[d], "kernel volume");
    }
    return convolution_result(ctx, out, weight, volume, filters);
  };
  op.cost = [](const OpContext& ctx) {
    const Shape& weight = ctx.node.weights.at(0).shape;  // [C, filters/groups, kernel...]
    const double per_input = elements(Shape(weight.begin() + 1, weight.end()));
    const double inputs = elements(ctx.in(0));
    const double outputs = elements(ctx.outputs.at(0)->shape);
    double flops = 2.0 * inputs * per_input;
    if (ctx.attrs.integer("bias") != 0) flops += outputs;
    flops += fused_activation_flops(ctx.attrs, outputs);
    return default_cost(ctx, flops);
  };
  return op;
}

}  // namespace

std::vector<OpSchema> conv_ops() {
  return {convolution("conv1d", 1), convolution("conv2d", 2), transposed_convolution("conv_transpose1d", 1),
          transposed_convolution("conv_transpose2d", 2)};
}

}  // namespace ntp::ops
