// ONNX operators as NTP ops: dense (Gemm, MatMul), convolution, pooling, normalisation, activations and
// tensor plumbing. A MatMul/Gemm or Conv followed by a bias Add and an activation that nothing else reads
// becomes one fc or conv node with its fused activation, named after the last tensor of the group.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>

#include "import_context.h"
#include "import_tensors.h"
#include "ntp/op_schema.h"

namespace ntp::onnx_io {

namespace {

using onnx::NodeProto;
using Converter = std::function<void(ImportContext&, const NodeProto&)>;

std::vector<float> transposed(const ConstTensor& matrix) {
  const std::int64_t rows = matrix.shape.at(0);
  const std::int64_t columns = matrix.shape.at(1);
  std::vector<float> result(static_cast<std::size_t>(rows * columns));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < columns; ++c)
      result[static_cast<std::size_t>(c * rows + r)] =
          static_cast<float>(matrix.real(static_cast<std::size_t>(r * columns + c)));
  return result;
}

Tensor make_tensor(const Shape& shape, const std::vector<float>& data) {
  Tensor tensor(shape, DType::f32);
  std::copy(data.begin(), data.end(), tensor.as<float>());
  return tensor;
}

std::vector<float> floats_of(const ConstTensor& tensor) {
  std::vector<float> data(static_cast<std::size_t>(tensor.count()));
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<float>(tensor.real(i));
  return data;
}

// Clip's bounds: inputs from opset 11, attributes before; absent bounds are infinite.
std::pair<double, double> clip_bounds(const ImportContext& ctx, const NodeProto& node) {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  if (ctx.opset() < 11) {
    low = ctx.attr_float(node, "min", -std::numeric_limits<float>::infinity());
    high = ctx.attr_float(node, "max", std::numeric_limits<float>::infinity());
    return {low, high};
  }
  auto bound = [&](int index, double fallback) {
    if (!ctx.has_input(node, index)) return fallback;
    const ConstTensor& value = ctx.constant_input(node, index, index == 1 ? "the minimum" : "the maximum");
    if (value.count() != 1) ctx.fail(node, "Clip bounds must be scalars");
    return value.real(0);
  };
  return {bound(1, low), bound(2, high)};
}

// The activation an ONNX node applies, as NTP's fused activation attributes; false if it is none of them.
bool as_fused_activation(const ImportContext& ctx, const NodeProto& node, Attributes& attrs) {
  const std::string& type = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") return false;
  if (type == "Relu") {
    attrs.set("activation", std::string("relu"));
  } else if (type == "Tanh" || type == "Sigmoid") {
    attrs.set("activation", std::string(type == "Tanh" ? "tanh" : "sigmoid"));
  } else if (type == "LeakyRelu") {
    attrs.set("activation", std::string("leaky_relu"));
    attrs.set("alpha", static_cast<double>(ctx.attr_float(node, "alpha", 0.01F)));
  } else if (type == "Gelu" && ctx.attr_string(node, "approximate", "none") == "none") {
    attrs.set("activation", std::string("gelu"));
  } else if (type == "Clip") {
    for (int i = 1; i < node.input_size(); ++i)
      if (ctx.has_input(node, i) && !ctx.is_constant(node, i)) return false;
    const auto [low, high] = clip_bounds(ctx, node);
    if (low != 0 || !(high > 0)) return false;
    attrs.set("activation", std::string("relu"));
    if (std::isfinite(high)) attrs.set("clip", high);
  } else {
    return false;
  }
  return true;
}

// Follows `tensor` into an activation that only it feeds; returns the tensor the group ends in.
std::string fuse_activation(ImportContext& ctx, const std::string& tensor, Attributes& attrs) {
  const NodeProto* consumer = ctx.sole_consumer(tensor);
  if (consumer != nullptr && consumer->input(0) == tensor && as_fused_activation(ctx, *consumer, attrs)) {
    ctx.mark_fused(consumer);
    return consumer->output(0);
  }
  if (const auto gelu = match_gelu_erf(ctx, tensor, true)) {
    attrs.set("activation", std::string("gelu"));
    for (const NodeProto* part : gelu->nodes)
      ctx.mark_fused(part);
    return gelu->nodes.back()->output(0);
  }
  return tensor;
}

// A bias Add after a product of `units` columns: the constant operand as a [units] vector, if it is one.
std::optional<std::vector<float>> bias_of(const ImportContext& ctx, const NodeProto& add,
                                          const std::string& tensor, std::int64_t units) {
  if (add.op_type() != "Add" || add.input_size() != 2 || !add.domain().empty()) return std::nullopt;
  const int other = add.input(0) == tensor ? 1 : 0;
  if (!ctx.is_constant(add, other)) return std::nullopt;
  const ConstTensor& bias = ctx.constant_input(add, other, "bias");
  if (bias.integral || bias.shape.empty() || bias.shape.back() != units || bias.count() != units)
    return std::nullopt;
  return floats_of(bias);
}

void set_fused_defaults(Attributes& attrs) {
  attrs.set("activation", std::string("none"));
}

// fc named after the group's last tensor; `weight` is [units, K].
void emit_fc(ImportContext& ctx, const NodeProto& node, int input, Tensor weight,
             std::optional<std::vector<float>> bias, const std::string& product) {
  const std::int64_t units = weight.shape().at(0);
  Attributes attrs;
  set_fused_defaults(attrs);
  std::string last = product;
  if (!bias) {
    if (const NodeProto* add = ctx.sole_consumer(product); add != nullptr) {
      bias = bias_of(ctx, *add, product, units);
      if (bias) {
        ctx.mark_fused(add);
        last = add->output(0);
      }
    }
  }
  last = fuse_activation(ctx, last, attrs);
  attrs.set("units", units);
  attrs.set("bias", std::int64_t{bias ? 1 : 0});
  std::map<std::string, Tensor> weights = {{"weight", std::move(weight)}};
  if (bias) weights["bias"] = make_tensor({units}, *bias);
  ctx.define(last, ctx.add_op(node, last, "fc", attrs, {input}, weights));
}

void convert_gemm(ImportContext& ctx, const NodeProto& node) {
  const std::string& out = node.output(0);
  int a = ctx.value_input(node, 0);
  if (ctx.shape_of(a).size() != 2) ctx.fail(node, "Gemm's A must be 2-D");
  if (ctx.attr_int(node, "transA", 0) != 0) {
    Attributes perm;
    perm.set("perm", std::vector<std::int64_t>{1, 0});
    a = ctx.add_op(node, out + "/transpose_a", "transpose", perm, {a});
  }
  const auto alpha = ctx.attr_float(node, "alpha", 1.0F);
  const auto beta = ctx.attr_float(node, "beta", 1.0F);
  const bool trans_b = ctx.attr_int(node, "transB", 0) != 0;
  if (ctx.is_constant(node, 1)) {
    const ConstTensor& b = ctx.constant_input(node, 1, "B");
    if (b.shape.size() != 2) ctx.fail(node, "Gemm's B must be 2-D");
    std::vector<float> weight = trans_b ? floats_of(b) : transposed(b);
    for (float& w : weight)
      w *= alpha;
    const std::int64_t units = trans_b ? b.shape[0] : b.shape[1];
    const std::int64_t inner = trans_b ? b.shape[1] : b.shape[0];
    std::optional<std::vector<float>> bias;
    bool bias_as_add = false;
    if (ctx.has_input(node, 2)) {
      const Shape& c_shape = ctx.input_shape(node, 2);
      const std::int64_t c_count = element_count(c_shape);
      const bool per_unit =
          ctx.is_constant(node, 2) && (c_count == 1 || (c_count == units && c_shape.back() == units));
      if (per_unit) {
        const std::vector<float> c = floats_of(ctx.constant_input(node, 2, "C"));
        bias = std::vector<float>(static_cast<std::size_t>(units));
        for (std::size_t j = 0; j < bias->size(); ++j)
          (*bias)[j] = beta * c[c.size() == 1 ? 0 : j];
      } else {
        bias_as_add = true;
      }
    }
    Tensor weight_tensor = make_tensor({units, inner}, weight);
    if (!bias_as_add) {
      emit_fc(ctx, node, a, std::move(weight_tensor), bias, out);
      return;
    }
    Attributes attrs;
    set_fused_defaults(attrs);
    attrs.set("units", units);
    attrs.set("bias", std::int64_t{0});
    const int product =
        ctx.add_op(node, out + "/fc", "fc", attrs, {a}, {{"weight", std::move(weight_tensor)}});
    int c = ctx.value_input(node, 2);
    if (beta != 1.0F) {
      ConstTensor scale{{}, false, {beta}, {}, 1};
      ctx.define_constant(out + "/beta", scale);
      c = ctx.add_op(node, out + "/scaled_c", "mul", {}, {c, ctx.value_of(out + "/beta")});
    }
    ctx.define(out, ctx.add_op(node, out, "add", {}, {product, c}));
    return;
  }
  // B computed at run time: a matmul, then the scales and C as arithmetic.
  Attributes attrs;
  attrs.set("transpose_b", std::int64_t{trans_b ? 1 : 0});
  const bool more = alpha != 1.0F || ctx.has_input(node, 2);
  int result = ctx.add_op(node, more ? out + "/matmul" : out, "matmul", attrs, {a, ctx.value_input(node, 1)});
  if (alpha != 1.0F) {
    ctx.define_constant(out + "/alpha", ConstTensor{{}, false, {alpha}, {}, 1});
    result = ctx.add_op(node, ctx.has_input(node, 2) ? out + "/scaled" : out, "mul", {},
                        {result, ctx.value_of(out + "/alpha")});
  }
  if (ctx.has_input(node, 2)) {
    int c = ctx.value_input(node, 2);
    if (beta != 1.0F) {
      ctx.define_constant(out + "/beta", ConstTensor{{}, false, {beta}, {}, 1});
      c = ctx.add_op(node, out + "/scaled_c", "mul", {}, {c, ctx.value_of(out + "/beta")});
    }
    result = ctx.add_op(node, out, "add", {}, {result, c});
  }
  ctx.define(out, result);
}

void convert_matmul(ImportContext& ctx, const NodeProto& node) {
  if (try_convert_attention(ctx, node)) return;
  const std::string& out = node.output(0);
  const int a = ctx.value_input(node, 0);
  if (ctx.is_constant(node, 1) && ctx.input_shape(node, 1).size() == 2 && !ctx.shape_of(a).empty()) {
    const ConstTensor& b = ctx.constant_input(node, 1, "B");  // [K, N]: fc's weight is its transpose
    emit_fc(ctx, node, a, make_tensor({b.shape[1], b.shape[0]}, transposed(b)), std::nullopt, out);
    return;
  }
  const int b = ctx.value_input(node, 1);
  if (ctx.shape_of(a).size() < 2 || ctx.shape_of(b).size() < 2)
    ctx.fail(node, "a MatMul of a 1-D operand that is computed at run time is not supported",
             "NTP's matmul takes [..., M, K] x [..., K, N]");
  ctx.define(out, ctx.add_op(node, out, "matmul", {}, {a, b}));
}

// Explicit begin/end pads of ONNX (or auto_pad) as NTP's symmetric padding. Where they differ (TensorFlow's
// SAME at stride 2 pads only the end) and `fill` is given, the input `x` is padded first by a pad node filled
// with it and the layer gets no padding; without `fill` that fails.
std::vector<std::int64_t> symmetric_pads(ImportContext& ctx, const NodeProto& node, int& x,
                                         const std::vector<std::int64_t>& kernel,
                                         const std::vector<std::int64_t>& strides,
                                         const std::vector<std::int64_t>& dilations,
                                         std::optional<double> fill) {
  const Shape input = ctx.shape_of(x);
  const std::size_t dims = kernel.size();
  const std::string auto_pad = ctx.attr_string(node, "auto_pad", "NOTSET");
  std::vector<std::int64_t> pads = ctx.attr_ints(node, "pads", std::vector<std::int64_t>(2 * dims, 0));
  if (auto_pad == "VALID") pads.assign(2 * dims, 0);
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (std::size_t d = 0; d < dims; ++d) {
      const std::int64_t in = input[2 + d];
      const std::int64_t out = (in + strides[d] - 1) / strides[d];
      const std::int64_t total =
          std::max<std::int64_t>(0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - in);
      pads[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[dims + d] = total - pads[d];
    }
  } else if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    ctx.fail(node, fmt::format("unknown auto_pad '{}'", auto_pad));
  }
  if (pads.size() != 2 * dims)
    ctx.fail(node, fmt::format("pads has {} values for {} dimensions", pads.size(), dims));
  std::vector<std::int64_t> result(dims);
  const bool asymmetric = !std::equal(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(dims),
                                      pads.begin() + static_cast<std::ptrdiff_t>(dims));
  if (asymmetric && fill) {
    std::vector<std::int64_t> all(2 * input.size(), 0);  // NTP's pad: begins, then ends, of every axis
    for (std::size_t d = 0; d < dims; ++d) {
      all[2 + d] = pads[d];
      all[input.size() + 2 + d] = pads[dims + d];
    }
    Attributes attrs;
    attrs.set("pads", all);
    attrs.set("mode", std::string("constant"));
    attrs.set("value", *fill);
    const std::string label = node.name().empty() ? node.output(0) : node.name();
    x = ctx.add_op(node, label + "/pad", "pad", attrs, {x});
    return result;
  }
  for (std::size_t d = 0; d < dims; ++d) {
    if (pads[d] != pads[dims + d])
      ctx.fail(node,
               fmt::format("padding {} before and {} after spatial dimension {} is asymmetric", pads[d],
                           pads[dims + d], d),
               "NTP pads both sides of a dimension equally; pad the input explicitly or change the model");
    result[d] = pads[d];
  }
  return result;
}

std::vector<std::int64_t> ints_or(const ImportContext& ctx, const NodeProto& node, const std::string& name,
                                  std::size_t dims, std::int64_t fallback) {
  std::vector<std::int64_t> values = ctx.attr_ints(node, name, std::vector<std::int64_t>(dims, fallback));
  if (values.size() != dims)
    ctx.fail(node, fmt::format("{} has {} values for {} dimensions", name, values.size(), dims));
  return values;
}

// A (transposed) convolution of `filters` outputs with its bias (input B, or a following Add of a
// per-channel constant) and a following activation fused, named after the group's last tensor.
void emit_conv_group(ImportContext& ctx, const NodeProto& node, int x, const std::string& op,
                     Attributes attrs, Tensor weight, std::int64_t filters) {
  const std::string& out = node.output(0);
  const std::size_t dims = ctx.shape_of(x).size() - 2;
  attrs.set("filters", filters);
  std::map<std::string, Tensor> weights = {{"weight", std::move(weight)}};
  std::optional<std::vector<float>> bias;
  if (ctx.has_input(node, 2)) bias = floats_of(ctx.constant_input(node, 2, "the bias B"));
  std::string last = out;
  if (!bias) {  // a bias Add over the channels ([F, 1, 1] or [1, F, 1, 1])
    if (const NodeProto* add = ctx.sole_consumer(out);
        add != nullptr && add->op_type() == "Add" && add->domain().empty()) {
      const int other = add->input(0) == out ? 1 : 0;
      if (ctx.is_constant(*add, other)) {
        const ConstTensor& c = ctx.constant_input(*add, other, "bias");
        Shape channel_shape(dims + 1, 1);
        channel_shape[0] = filters;
        Shape batched = channel_shape;
        batched.insert(batched.begin(), 1);
        if (!c.integral && (c.shape == channel_shape || c.shape == batched)) {
          bias = floats_of(c);
          ctx.mark_fused(add);
          last = add->output(0);
        }
      }
    }
  }
  last = fuse_activation(ctx, last, attrs);
  attrs.set("bias", std::int64_t{bias ? 1 : 0});
  if (bias) weights["bias"] = make_tensor({filters}, *bias);
  ctx.define(last, ctx.add_op(node, last, op, attrs, {x}, weights));
}

void convert_conv(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const Shape input = ctx.shape_of(x);
  if (input.size() != 3 && input.size() != 4)
    ctx.fail(node, fmt::format("{}-D convolution is not supported", input.size() < 3 ? 0 : input.size() - 2),
             "NTP convolves [N, C, L] (conv1d) and [N, C, H, W] (conv2d)");
  const std::size_t dims = input.size() - 2;
  const ConstTensor& w = ctx.constant_input(node, 1, "the weight W");
  if (w.shape.size() != dims + 2)
    ctx.fail(node, fmt::format("W {} does not match a {}-D input", shape_to_string(w.shape), input.size()));
  const std::vector<std::int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (ctx.attribute(node, "kernel_shape") != nullptr && ctx.attr_ints(node, "kernel_shape") != kernel)
    ctx.fail(node, "kernel_shape differs from the weight's shape");
  const auto strides = ints_or(ctx, node, "strides", dims, 1);
  const auto dilations = ints_or(ctx, node, "dilations", dims, 1);
  int padded = x;
  const auto pads = symmetric_pads(ctx, node, padded, kernel, strides, dilations, 0.0);
  Attributes attrs;
  set_fused_defaults(attrs);
  attrs.set("kernel", kernel);
  attrs.set("stride", strides);
  attrs.set("padding", pads);
  attrs.set("dilation", dilations);
  attrs.set("groups", ctx.attr_int(node, "group", 1));
  emit_conv_group(ctx, node, padded, dims == 1 ? "conv1d" : "conv2d", std::move(attrs), w.to_f32(),
                  w.shape[0]);
}

// ONNX ConvTranspose pads (begin b, end e) and output_padding o as NTP's symmetric padding p and
// output_padding q: NTP crops p at the start and p - q at the end, so p = b and q = b - e + o.
void transposed_pads(const ImportContext& ctx, const NodeProto& node, const Shape& input,
                     const std::vector<std::int64_t>& kernel, const std::vector<std::int64_t>& strides,
                     const std::vector<std::int64_t>& dilations, std::vector<std::int64_t>& padding,
                     std::vector<std::int64_t>& output_padding) {
  const std::size_t dims = kernel.size();
  std::vector<std::int64_t> pads = ctx.attr_ints(node, "pads", std::vector<std::int64_t>(2 * dims, 0));
  output_padding = ints_or(ctx, node, "output_padding", dims, 0);
  const std::string auto_pad = ctx.attr_string(node, "auto_pad", "NOTSET");
  const auto wanted = ctx.attr_ints(node, "output_shape");
  if (auto_pad == "VALID") pads.assign(2 * dims, 0);
  if (!wanted.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    if (!wanted.empty() && wanted.size() != dims)
      ctx.fail(node, fmt::format("output_shape has {} values for {} dimensions", wanted.size(), dims));
    for (std::size_t d = 0; d < dims; ++d) {
      const std::int64_t size = wanted.empty() ? input[2 + d] * strides[d] : wanted[d];
      const std::int64_t total =
          strides[d] * (input[2 + d] - 1) + output_padding[d] + (kernel[d] - 1) * dilations[d] + 1 - size;
      const bool upper = auto_pad == "SAME_UPPER";
      pads[d] = upper ? total / 2 : total - total / 2;
      pads[dims + d] = total - pads[d];
    }
  } else if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    ctx.fail(node, fmt::format("unknown auto_pad '{}'", auto_pad));
  }
  if (pads.size() != 2 * dims)
    ctx.fail(node, fmt::format("pads has {} values for {} dimensions", pads.size(), dims));
  padding.assign(dims, 0);
  for (std::size_t d = 0; d < dims; ++d) {
    padding[d] = pads[d];
    output_padding[d] += pads[d] - pads[dims + d];
    if (padding[d] < 0 || output_padding[d] < 0 || output_padding[d] >= std::max(strides[d], dilations[d]))
      ctx.fail(
          node,
          fmt::format("padding {} at the start and {} at the end of spatial dimension {} (output_padding "
                      "{}) cannot be written as NTP's symmetric padding with an output_padding",
                      pads[d], pads[dims + d], d, output_padding[d] - pads[d] + pads[dims + d]),
          "NTP crops the same amount from both sides and adds output_padding at the end");
  }
}

void convert_conv_transpose(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const Shape input = ctx.shape_of(x);
  if (input.size() != 3 && input.size() != 4)
    ctx.fail(
        node,
        fmt::format("{}-D transposed convolution is not supported", input.size() < 3 ? 0 : input.size() - 2),
        "NTP has conv_transpose1d [N, C, L] and conv_transpose2d [N, C, H, W]");
  const std::size_t dims = input.size() - 2;
  const ConstTensor& w = ctx.constant_input(node, 1, "the weight W");  // [C, F/groups, k...]
  if (w.shape.size() != dims + 2 || w.shape[0] != input[1])
    ctx.fail(node, fmt::format("W {} does not match the input {}", shape_to_string(w.shape),
                               shape_to_string(input)));
  const std::vector<std::int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (ctx.attribute(node, "kernel_shape") != nullptr && ctx.attr_ints(node, "kernel_shape") != kernel)
    ctx.fail(node, "kernel_shape differs from the weight's shape");
  const auto strides = ints_or(ctx, node, "strides", dims, 1);
  const auto dilations = ints_or(ctx, node, "dilations", dims, 1);
  std::vector<std::int64_t> padding, output_padding;
  transposed_pads(ctx, node, input, kernel, strides, dilations, padding, output_padding);
  const std::int64_t groups = ctx.attr_int(node, "group", 1);
  Attributes attrs;
  set_fused_defaults(attrs);
  attrs.set("kernel", kernel);
  attrs.set("stride", strides);
  attrs.set("padding", padding);
  attrs.set("output_padding", output_padding);
  attrs.set("dilation", dilations);
  attrs.set("groups", groups);
  emit_conv_group(ctx, node, x, dims == 1 ? "conv_transpose1d" : "conv_transpose2d", std::move(attrs),
                  w.to_f32(), w.shape[1] * groups);
}

void convert_pool(ImportContext& ctx, const NodeProto& node) {
  const bool max = node.op_type() == "MaxPool";
  int x = ctx.value_input(node, 0);
  const Shape input = ctx.shape_of(x);
  if (input.size() != 3 && input.size() != 4)
    ctx.fail(node, "only 1-D and 2-D pooling is supported", "NTP pools [N, C, L] and [N, C, H, W]");
  if (ctx.output_used(node, 1)) ctx.fail(node, "the Indices output is not supported");
  const std::size_t dims = input.size() - 2;
  const auto kernel = ctx.attr_ints(node, "kernel_shape");
  if (kernel.size() != dims) ctx.fail(node, "kernel_shape must give one size per spatial dimension");
  const auto strides = ints_or(ctx, node, "strides", dims, 1);
  const auto dilations = ints_or(ctx, node, "dilations", dims, 1);
  for (const std::int64_t d : dilations)
    if (d != 1) ctx.fail(node, "dilated pooling is not supported", "NTP's pools have no dilation");
  const std::int64_t count_include_pad = ctx.attr_int(node, "count_include_pad", 0);
  // An explicit pad node is exact for max (-inf never wins) and for averages that count the padding.
  std::optional<double> fill;
  if (max) fill = -std::numeric_limits<double>::infinity();
  if (!max && count_include_pad != 0) fill = 0.0;
  const auto pads = symmetric_pads(ctx, node, x, kernel, strides, dilations, fill);
  if (ctx.attr_int(node, "ceil_mode", 0) != 0) {
    for (std::size_t d = 0; d < dims; ++d) {
      const std::int64_t span = ctx.shape_of(x)[2 + d] + 2 * pads[d] - kernel[d];
      if (span % strides[d] != 0)
        ctx.fail(node, "ceil_mode=1 gives a larger output than NTP's floor rounding here",
                 "NTP rounds the output size down; adjust the padding instead of using ceil_mode");
    }
  }
  Attributes attrs;
  attrs.set("kernel", kernel);
  attrs.set("stride", strides);
  attrs.set("padding", pads);
  if (!max) attrs.set("count_include_pad", count_include_pad);
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), max ? "maxpool" : "avgpool", attrs, {x}));
}

void convert_global_pool(ImportContext& ctx, const NodeProto& node) {
  const bool max = node.op_type() == "GlobalMaxPool";
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), max ? "global_maxpool" : "global_avgpool", {},
                                        {ctx.value_input(node, 0)}));
}

void convert_batchnorm(ImportContext& ctx, const NodeProto& node) {
  if (ctx.attr_int(node, "training_mode", 0) != 0 || ctx.output_used(node, 1) || ctx.output_used(node, 2))
    ctx.fail(node, "training mode (updated running statistics) is not supported", "NTP runs inference only");
  const int x = ctx.value_input(node, 0);
  Attributes attrs;
  attrs.set("epsilon", static_cast<double>(ctx.attr_float(node, "epsilon", 1e-5F)));
  std::map<std::string, Tensor> weights;
  const char* names[] = {"scale", "shift", "mean", "variance"};
  for (int i = 0; i < 4; ++i)
    weights[names[i]] = ctx.constant_input(node, i + 1, std::string("the ") + names[i]).to_f32();
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), "batchnorm", attrs, {x}, weights));
}

// LayerNormalization over the last axis only (NTP's layernorm); scale and bias [C] from the model.
void convert_layernorm(ImportContext& ctx, const NodeProto& node) {
  if (ctx.output_used(node, 1) || ctx.output_used(node, 2))
    ctx.fail(node, "the Mean and InvStdDev outputs are not supported", "NTP's layernorm gives only Y");
  const int x = ctx.value_input(node, 0);
  const Shape input = ctx.shape_of(x);
  const auto rank = static_cast<std::int64_t>(input.size());
  const std::int64_t axis = ctx.attr_int(node, "axis", -1);
  if (rank == 0 || (axis != -1 && axis != rank - 1))
    ctx.fail(node, fmt::format("normalising from axis {} of a rank-{} input is not supported", axis, rank),
             "NTP's layernorm normalises over the last axis only");
  const std::int64_t channels = input.back();
  Tensor scale = ctx.constant_input(node, 1, "the scale").to_f32();
  Tensor shift({channels}, DType::f32);
  if (ctx.has_input(node, 2)) shift = ctx.constant_input(node, 2, "the bias B").to_f32();
  if (scale.elements() != channels || shift.elements() != channels)
    ctx.fail(node, fmt::format("scale and bias must have {} elements, the size of the last axis", channels));
  Attributes attrs;
  attrs.set("epsilon", static_cast<double>(ctx.attr_float(node, "epsilon", 1e-5F)));
  ctx.define(node.output(0),
             ctx.add_op(node, node.output(0), "layernorm", attrs, {x},
                        {{"scale", scale.reshaped({channels})}, {"shift", shift.reshaped({channels})}}));
}

void convert_activation(ImportContext& ctx, const NodeProto& node) {
  const std::string& out = node.output(0);
  const std::string& type = node.op_type();
  const int x = ctx.value_input(node, 0);
  Attributes attrs;
  std::string op;
  if (type == "Relu") {
    op = "relu";
  } else if (type == "Tanh") {
    op = "tanh";
  } else if (type == "Sigmoid") {
    op = "sigmoid";
  } else if (type == "LeakyRelu") {
    op = "leaky_relu";
    attrs.set("alpha", static_cast<double>(ctx.attr_float(node, "alpha", 0.01F)));
  } else if (type == "Gelu") {
    op = "gelu";
    attrs.set("approximate", ctx.attr_string(node, "approximate", "none"));
  } else if (type == "Clip") {
    const auto [low, high] = clip_bounds(ctx, node);
    if (low == 0 && high > 0) {
      op = "relu";
      if (std::isfinite(high)) attrs.set("clip", high);
    } else {
      op = "hardtanh";
      attrs.set("min_val", low);
      attrs.set("max_val", high);
    }
  }
  ctx.define(out, ctx.add_op(node, out, op, attrs, {x}));
}

// Softmax and LogSoftmax. Before opset 13 they normalise over all axes from `axis` on (the input seen as
// 2-D); that is NTP's last-axis softmax on a reshaped input unless axis is already the last one.
void convert_softmax(ImportContext& ctx, const NodeProto& node) {
  const std::string& out = node.output(0);
  const std::string op = node.op_type() == "Softmax" ? "softmax" : "log_softmax";
  const int x = ctx.value_input(node, 0);
  const Shape input = ctx.shape_of(x);
  const auto rank = static_cast<std::int64_t>(input.size());
  const bool coerced = ctx.opset() < 13;
  std::int64_t axis = ctx.attr_int(node, "axis", coerced ? 1 : -1);
  if (axis < -rank || axis >= std::max<std::int64_t>(rank, 1))
    ctx.fail(node, fmt::format("axis {} is out of range for rank {}", axis, rank));
  if (axis < 0) axis += rank;
  Attributes attrs;
  if (!coerced || axis == rank - 1) {
    attrs.set("axis", axis);
    ctx.define(out, ctx.add_op(node, out, op, attrs, {x}));
    return;
  }
  const Shape outer(input.begin(), input.begin() + axis);
  const Shape inner(input.begin() + axis, input.end());
  Attributes flat;
  flat.set("shape", std::vector<std::int64_t>{element_count(outer), element_count(inner)});
  const int matrix = ctx.add_op(node, out + "/flatten", "reshape", flat, {x});
  attrs.set("axis", std::int64_t{-1});
  const int normalised = ctx.add_op(node, out + "/" + op, op, attrs, {matrix});
  Attributes back;
  back.set("shape", std::vector<std::int64_t>(input.begin(), input.end()));
  ctx.define(out, ctx.add_op(node, out, "reshape", back, {normalised}));
}

void convert_binary(ImportContext& ctx, const NodeProto& node) {
  static const std::map<std::string, std::string> ops = {
      {"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"}, {"Div", "div"}};
  const int a = ctx.value_input(node, 0);
  const int b = ctx.value_input(node, 1);
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), ops.at(node.op_type()), {}, {a, b}));
}

void convert_concat(ImportContext& ctx, const NodeProto& node) {
  std::vector<int> inputs;
  for (int i = 0; i < node.input_size(); ++i)
    inputs.push_back(ctx.value_input(node, i));
  Attributes attrs;
  attrs.set("axis", ctx.attr_int(node, "axis", 0));
  if (inputs.size() == 1) {  // NTP's concat of one input is a copy
    ctx.define(node.output(0), ctx.add_op(node, node.output(0), "dropout", {}, inputs));
    return;
  }
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), "concat", attrs, inputs));
}

// Reshapes to an explicit shape (Reshape, Squeeze, Unsqueeze, Flatten's static result).
void emit_reshape(ImportContext& ctx, const NodeProto& node, int x, const Shape& shape) {
  Attributes attrs;
  attrs.set("shape", std::vector<std::int64_t>(shape.begin(), shape.end()));
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), "reshape", attrs, {x}));
}

void convert_reshape(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  std::vector<std::int64_t> target;
  if (ctx.opset() < 5) {
    target = ctx.attr_ints(node, "shape");
  } else {
    const ConstTensor& shape = ctx.constant_input(node, 1, "the target shape");
    for (std::size_t i = 0; i < static_cast<std::size_t>(shape.count()); ++i)
      target.push_back(shape.integer(i));
  }
  emit_reshape(ctx, node, x, reshaped_shape(ctx, node, ctx.shape_of(x), target));
}

void convert_squeeze(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  const Shape shape = node.op_type() == "Squeeze" ? squeezed_shape(ctx, node, ctx.shape_of(x))
                                                  : unsqueezed_shape(ctx, node, ctx.shape_of(x));
  emit_reshape(ctx, node, x, shape);
}

void convert_transpose(ImportContext& ctx, const NodeProto& node) {
  const int x = ctx.value_input(node, 0);
  std::vector<std::int64_t> perm(ctx.shape_of(x).size());
  std::iota(perm.rbegin(), perm.rend(), 0);
  Attributes attrs;
  attrs.set("perm", ctx.attr_ints(node, "perm", perm));
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), "transpose", attrs, {x}));
}

void convert_flatten(ImportContext& ctx, const NodeProto& node) {
  Attributes attrs;
  attrs.set("axis", ctx.attr_int(node, "axis", 1));
  ctx.define(node.output(0), ctx.add_op(node, node.output(0), "flatten", attrs, {ctx.value_input(node, 0)}));
}

// Identity and inference Dropout pass their input on; a graph output gets a copy so
// that it is a value of its own.
void convert_pass_through(ImportContext& ctx, const NodeProto& node) {
  if (node.op_type() == "Dropout") {
    if (ctx.output_used(node, 1))
      ctx.fail(node, "the mask output is not supported", "NTP runs inference only");
    // training_mode decides what the node computes, so it must be known at load time.
    if (ctx.has_input(node, 2) && ctx.constant_input(node, 2, "training_mode").integer(0) != 0)
      ctx.fail(node, "training mode is not supported", "NTP runs inference only");
    if (ctx.attr_int(node, "is_test", 1) == 0 && ctx.opset() < 7)
      ctx.fail(node, "training mode (is_test=0) is not supported", "NTP runs inference only");
  }
  const int x = ctx.value_input(node, 0);
  bool graph_output = false;
  for (const auto& output : ctx.onnx_graph().output())
    graph_output = graph_output || output.name() == node.output(0);
  if (graph_output)
    ctx.define(node.output(0), ctx.add_op(node, node.output(0), "dropout", {}, {x}));
  else
    ctx.define(node.output(0), x);
}

// A node of the "ai.ntp" domain: the NTP op of that name with its attributes, as the exporter writes inlays.
void convert_ntp(ImportContext& ctx, const NodeProto& node) {
  const OpSchema* schema = find_op(node.op_type());
  if (schema == nullptr)
    ctx.fail(node, fmt::format("ai.ntp has no op '{}'", node.op_type()), "see `ntp ops`");
  Attributes attrs;
  for (const auto& attr : node.attribute()) {
    const AttrSpec* spec = schema->find_attr(attr.name());
    if (spec == nullptr)
      ctx.fail(node, fmt::format("NTP's {} has no attribute '{}'", node.op_type(), attr.name()));
    switch (spec->type) {
      case AttrType::integer:
        attrs.set(attr.name(), static_cast<std::int64_t>(attr.i()));
        break;
      case AttrType::real:
        attrs.set(attr.name(), static_cast<double>(attr.f()));
        break;
      case AttrType::text:
        // A file the decoder reads (its language model) is confined to the model's folder, as external
        // data is: a model must not make NTP read /etc/passwd.
        if (attr.name() == "lm" && !attr.s().empty())
          file_in_model_folder(std::filesystem::absolute(ctx.file()).parent_path().string(), attr.s(),
                               ctx.file(), fmt::format("node '{}': its language model", node.name()));
        attrs.set(attr.name(), attr.s());
        break;
      case AttrType::integers:
        attrs.set(attr.name(), std::vector<std::int64_t>(attr.ints().begin(), attr.ints().end()));
        break;
      case AttrType::reals:
        attrs.set(attr.name(), std::vector<double>(attr.floats().begin(), attr.floats().end()));
        break;
    }
  }
  std::vector<int> inputs;
  for (int i = 0; i < node.input_size(); ++i)
    inputs.push_back(ctx.value_input(node, i));
  ctx.add_op(node, node.output(0), node.op_type(), attrs, inputs);
  const Node& added = ctx.graph().nodes.back();
  for (int k = 0; k < node.output_size() && k < static_cast<int>(added.outputs.size()); ++k)
    ctx.define(node.output(k), added.outputs[static_cast<std::size_t>(k)]);
}

const std::map<std::string, Converter>& converters() {
  static const std::map<std::string, Converter> table = {
      {"Gemm", convert_gemm},
      {"MatMul", convert_matmul},
      {"Conv", convert_conv},
      {"ConvTranspose", convert_conv_transpose},
      {"MaxPool", convert_pool},
      {"AveragePool", convert_pool},
      {"GlobalAveragePool", convert_global_pool},
      {"GlobalMaxPool", convert_global_pool},
      {"BatchNormalization", convert_batchnorm},
      {"LayerNormalization", convert_layernorm},
      {"Relu", convert_activation},
      {"LeakyRelu", convert_activation},
      {"Tanh", convert_activation},
      {"Sigmoid", convert_activation},
      {"Gelu", convert_activation},
      {"Clip", convert_activation},
      {"Softmax", convert_softmax},
      {"LogSoftmax", convert_softmax},
      {"Add", convert_binary},
      {"Sub", convert_binary},
      {"Mul", convert_binary},
      {"Div", convert_binary},
      {"Concat", convert_concat},
      {"Reshape", convert_reshape},
      {"Squeeze", convert_squeeze},
      {"Unsqueeze", convert_squeeze},
      {"Transpose", convert_transpose},
      {"Flatten", convert_flatten},
      {"Identity", convert_pass_through},
      {"Dropout", convert_pass_through},
      {"LSTM", convert_recurrent},
      {"GRU", convert_recurrent},
      {"RNN", convert_recurrent},
      // Folded at load time only (their inputs must be known then).
      {"Constant", nullptr},
      {"Shape", nullptr},
      {"Size", nullptr},
      {"Range", nullptr},
      {"ConstantOfShape", nullptr},
  };
  return table;
}

}  // namespace

bool is_importable(const onnx::NodeProto& node) {
  if (node.domain() == "ai.ntp") return true;
  if (!node.domain().empty() && node.domain() != "ai.onnx") return false;
  return converters().count(node.op_type()) != 0 || generic_converter(node.op_type()) != nullptr;
}

void convert_node(ImportContext& ctx, const onnx::NodeProto& node) {
  if (ctx.is_fused(&node)) return;
  if (node.domain() == "ai.ntp") {
    convert_ntp(ctx, node);
    return;
  }
  if (try_fold(ctx, node)) return;
  if ((node.op_type() == "Div" || node.op_type() == "Mul") && try_convert_gelu(ctx, node)) return;
  if (node.op_type() == "ReduceMean" && try_convert_layernorm(ctx, node)) return;
  if (converters().count(node.op_type()) == 0) {
    const ImportContext::Mark mark = ctx.mark();
    generic_converter(node.op_type())(ctx, node);
    // An op on known inputs (comparisons and selections on shapes) is computed now, so that what reads it
    // can take it as a shape, bound or axis.
    if (node.op_type() != "If") ctx.evaluate_added(node, mark);
    return;
  }
  const Converter& converter = converters().at(node.op_type());
  if (!converter)
    ctx.fail(node,
             "its inputs must be known when the model is loaded (initializers, constants or static shapes)",
             "NTP folds this op at load time only");
  converter(ctx, node);
}

}  // namespace ntp::onnx_io
