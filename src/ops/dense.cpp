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

namespace {

OpSchema fc() {
  OpSchema op;
  op.name = "fc";
  op.family = "dense";
  op.summary =
      "Fully connected (dense) layer on the last axis: y = act(x W^T + b). Any leading axes are batch axes, so "
      "a time-major [T, N, C] input gives [T, N, units].";
  op.layout = "[..., C]";
  op.attrs = {required_integer("units", "number of output features"),
              integer_attr("bias", 1, "1 to add a learned bias, 0 for none")};
  for (auto& attr : fused_activation_attrs()) op.attrs.push_back(std::move(attr));
  op.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 1, 8, "fc input");
    const std::int64_t units = ctx.attrs.integer("units");
    if (units <= 0) throw ShapeError(fmt::format("units must be positive, got {}", units));
    const std::int64_t in_features = ctx.in(0).back();
    InferResult result;
    Shape out = ctx.in(0);
    out.back() = units;
    result.outputs.push_back({out, ctx.inputs[0]->dtype});
    result.weights.push_back({"weight", {units, in_features}, fan_in_uniform(in_features)});
    if (ctx.attrs.integer("bias") != 0) result.weights.push_back({"bias", {units}, fan_in_uniform(in_features)});
    return result;
  };
  op.cost = [](const OpContext& ctx) {
    const double rows = elements(ctx.in(0)) / static_cast<double>(ctx.in(0).back());
    const double in_features = static_cast<double>(ctx.in(0).back());
    const double units = static_cast<double>(ctx.attrs.integer("units"));
    double flops = 2.0 * rows * in_features * units;
    if (ctx.attrs.integer("bias") != 0) flops += rows * units;
    if (ctx.attrs.text("activation") != "none") flops += rows * units;
    return default_cost(ctx, flops);
  };
  return op;
}

}  // namespace

std::vector<OpSchema> dense_ops() { return {fc()}; }

}  // namespace ntp::ops
