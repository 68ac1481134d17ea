// Elementwise activations and softmax; output shape = input shape.
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

OpSchema elementwise(const std::string& name, const std::string& summary, std::vector<AttrSpec> attrs,
                     double flops_per_element = 1) {
  OpSchema op;
  op.name = name;
  op.family = "activation";
  op.summary = summary;
  op.layout = "any";
  op.attrs = std::move(attrs);
  op.infer = [](const OpContext& ctx) {
    InferResult result;
    result.outputs.push_back({ctx.in(0), ctx.inputs[0]->dtype});
    return result;
  };
  op.cost = [flops_per_element](const OpContext& ctx) {
    return default_cost(ctx, flops_per_element * elements(ctx.in(0)));
  };
  return op;
}

OpSchema softmax_like(const std::string& name, const std::string& summary) {
  OpSchema op = elementwise(
      name, summary, {integer_attr("axis", -1, "axis to normalise over; negative counts from the end")}, 5);
  op.infer = [](const OpContext& ctx) {
    const auto rank = static_cast<std::int64_t>(ctx.in(0).size());
    const std::int64_t axis = ctx.attrs.integer("axis");
    if (rank == 0 || axis < -rank || axis >= rank)
      throw ShapeError(fmt::format("axis {} is out of range for rank {}", axis, rank),
                       "use -1 for the last axis");
    InferResult result;
    result.outputs.push_back({ctx.in(0), ctx.inputs[0]->dtype});
    return result;
  };
  return op;
}

}  // namespace

std::vector<OpSchema> activation_ops() {
  return {
      elementwise(
          "relu",
          "Rectified linear unit, max(x, 0), optionally clipped: min(max(x, 0), clip). 1 FLOP per element.",
          {real_attr("clip", 0.0, "upper bound (0: no clip); DeepSpeech clips at 20")}),
      elementwise("leaky_relu", "x for x > 0, alpha*x otherwise. 1 FLOP per element.",
                  {real_attr("alpha", 0.01, "slope for negative inputs")}),
      elementwise("tanh", "Hyperbolic tangent. Counted as 1 FLOP per element.", {}),
      elementwise("sigmoid", "Logistic function 1/(1+exp(-x)). Counted as 1 FLOP per element.", {}),
      elementwise(
          "gelu",
          "Gaussian error linear unit, x*Phi(x), exact (erf) or with the tanh approximation. Counted as "
          "1 FLOP per element.",
          {text_attr("approximate", "none", "none (erf) or tanh", {"none", "tanh"})}),
      elementwise("hardtanh",
                  "Clamp to [min_val, max_val]; DeepSpeech 2 uses hardtanh(0, 20). 1 FLOP per element.",
                  {real_attr("min_val", -1.0, "lower bound"), real_attr("max_val", 1.0, "upper bound")}),
      softmax_like("softmax", "exp(x - max) / sum(exp(x - max)) along an axis. 5 FLOPs per element."),
      softmax_like("log_softmax", "x - max - log(sum(exp(x - max))) along an axis. 5 FLOPs per element."),
  };
}

}  // namespace ntp::ops
