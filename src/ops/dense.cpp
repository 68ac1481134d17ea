// Dense layers: fc (fully connected on the last axis), matmul, embedding.
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

std::vector<AttrSpec> fused_activation_attrs() {
  return {text_attr("activation", "none", "activation applied to the output",
                    {"none", "relu", "tanh", "sigmoid", "gelu", "leaky_relu"}),
          real_attr("clip", 0.0, "upper bound of a clipped ReLU (0: no clip); DeepSpeech clips at 20"),
          real_attr("alpha", 0.01, "negative slope of leaky_relu")};
}

void check_fused_activation(const Attributes& attrs) {
  const double clip = attrs.real("clip");
  if (clip < 0) throw ShapeError(fmt::format("clip {} must not be negative", clip), "0 means no clip");
}

double fused_activation_flops(const Attributes& attrs, double outputs) {
  return attrs.text("activation") != "none" ? outputs : 0.0;
}

namespace {

OpSchema fc() {
  OpSchema op;
  op.name = "fc";
  op.family = "dense";
  op.summary =
      "Fully connected (dense) layer on the last axis: y = act(x W^T + b), weight [units, C], bias [units]. "
      "Any leading axes are batch axes, so a time-major [T, N, C] input gives [T, N, units]. FLOPs: "
      "2 * rows * C * units, plus one per output for the bias and one for the activation; bytes: input, "
      "weights and output.";
  op.layout = "[..., C]";
  op.attrs = {required_integer("units", "number of output features"),
              integer_attr("bias", 1, "1 to add a learned bias, 0 for none")};
  for (auto& attr : fused_activation_attrs())
    op.attrs.push_back(std::move(attr));
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 1, 8, "fc input");
    const std::int64_t units = ctx.attrs.integer("units");
    expect_positive(units, "units");
    check_fused_activation(ctx.attrs);
    const std::int64_t in_features = ctx.in(0).back();
    InferResult result;
    Shape out = ctx.in(0);
    out.back() = units;
    result.outputs.push_back({out, ctx.inputs[0]->dtype});
    result.weights.push_back({"weight", {units, in_features}, fan_in_uniform(in_features)});
    if (ctx.attrs.integer("bias") != 0)
      result.weights.push_back({"bias", {units}, fan_in_uniform(in_features)});
    return result;
  };
  op.cost = [](const OpContext& ctx) {
    const double rows = elements(ctx.in(0)) / static_cast<double>(ctx.in(0).back());
    const double in_features = static_cast<double>(ctx.in(0).back());
    const double units = static_cast<double>(ctx.attrs.integer("units"));
    double flops = 2.0 * rows * in_features * units;
    if (ctx.attrs.integer("bias") != 0) flops += rows * units;
    flops += fused_activation_flops(ctx.attrs, rows * units);
    return default_cost(ctx, flops);
  };
  return op;
}

OpSchema matmul() {
  OpSchema op;
  op.name = "matmul";
  op.family = "dense";
  op.summary =
      "Matrix product of two inputs, A [..., M, K] x B [..., K, N] -> [..., M, N], batch dimensions "
      "broadcast as numpy does; transpose_b=1 takes B as [..., N, K]. No weights. FLOPs 2*batch*M*K*N; "
      "bytes: both inputs and the output.";
  op.layout = "[..., M, K] x [..., K, N]";
  op.min_inputs = 2;
  op.max_inputs = 2;
  op.attrs = {integer_attr("transpose_b", 0, "1: B is [..., N, K]")};
  op.infer = [](const OpContext& ctx) {
    const Shape& a = ctx.in(0);
    const Shape& b = ctx.in(1);
    expect_rank(a, 2, 8, "matmul A");
    expect_rank(b, 2, 8, "matmul B");
    const bool transposed = ctx.attrs.integer("transpose_b") != 0;
    const std::int64_t k_a = a[a.size() - 1];
    const std::int64_t k_b = transposed ? b[b.size() - 1] : b[b.size() - 2];
    const std::int64_t n = transposed ? b[b.size() - 2] : b[b.size() - 1];
    if (k_a != k_b)
      throw ShapeError(fmt::format("inner dimensions differ: A {} has K={}, B {} has K={}",
                                   shape_to_string(a), k_a, shape_to_string(b), k_b),
                       transposed ? "with transpose_b=1, B is [..., N, K]"
                                  : "B must be [..., K, N]; or set transpose_b=1");
    Shape out =
        broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2), "batch dimensions");
    out.push_back(a[a.size() - 2]);
    out.push_back(n);
    return single_output(out, ctx.inputs[0]->dtype);
  };
  op.cost = [](const OpContext& ctx) {
    const Shape& out = ctx.outputs.at(0)->shape;
    return default_cost(ctx, 2.0 * elements(out) * static_cast<double>(ctx.in(0).back()));
  };
  return op;
}

OpSchema embedding() {
  OpSchema op;
  op.name = "embedding";
  op.family = "dense";
  op.summary =
      "Looks up rows of a [vocab, dim] table (weight, normal(0, 1)) for integer ids of any shape: "
      "[...] -> [..., dim] fp32. No FLOPs; bytes read are the ids and the rows gathered, not the whole "
      "table.";
  op.layout = "ids [...]";
  op.attrs = {required_integer("vocab", "rows in the table"), required_integer("dim", "width of each row")};
  op.infer = [](const OpContext& ctx) {
    const std::int64_t vocab = ctx.attrs.integer("vocab");
    const std::int64_t dim = ctx.attrs.integer("dim");
    expect_positive(vocab, "vocab");
    expect_positive(dim, "dim");
    Shape out = ctx.in(0);
    out.push_back(dim);
    InferResult result;
    result.outputs.push_back({out, DType::f32});
    result.weights.push_back({"weight", {vocab, dim}, {Distribution::Kind::normal, 0.0, 1.0}});
    return result;
  };
  op.cost = [](const OpContext& ctx) {
    Cost cost;
    const double gathered = elements(ctx.outputs.at(0)->shape);
    cost.bytes_read =
        tensor_bytes(*ctx.inputs[0]) + gathered * static_cast<double>(dtype_size(ctx.weight_dtype));
    cost.bytes_written = tensor_bytes(*ctx.outputs[0]);
    return cost;
  };
  return op;
}

}  // namespace

std::vector<OpSchema> dense_ops() {
  return {fc(), matmul(), embedding()};
}

}  // namespace ntp::ops
