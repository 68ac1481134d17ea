// Elementwise activations and softmax; output shape = input shape.
#include <functional>

#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

// `check` refuses impossible attribute values (none when empty).
OpSchema elementwise(const std::string& name, const std::string& summary, std::vector<AttrSpec> attrs,
                     double flops_per_element = 1, std::function<void(const Attributes&)> check = {}) {
  OpSchema op;
  op.name = name;
  op.family = "activation";
  op.summary = summary;
  op.layout = "any";
  op.attrs = std::move(attrs);
  op.infer = [check](const OpContext& ctx) {
    if (check) check(ctx.attrs);
    return single_output(ctx.in(0), ctx.inputs[0]->dtype);
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
    normalise_axis(ctx.attrs.integer("axis"), ctx.in(0).size());
    return single_output(ctx.in(0), ctx.inputs[0]->dtype);
  };
  return op;
}

}  // namespace

std::vector<OpSchema> activation_ops() {
  return {
      elementwise(
          "relu",
          "Rectified linear unit, max(x, 0), optionally clipped: min(max(x, 0), clip). Any shape; 1 FLOP "
          "per element; bytes: input and output.",
          {real_attr("clip", 0.0, "upper bound (0: no clip); DeepSpeech clips at 20")}, 1,
          [](const Attributes& attrs) {
            if (attrs.real("clip") < 0)
              throw ShapeError(fmt::format("clip {} must not be negative", attrs.real("clip")),
                               "0 means no clip");
          }),
      elementwise("leaky_relu",
                  "x for x > 0, alpha*x otherwise. Any shape; 1 FLOP per element; bytes: input and output.",
                  {real_attr("alpha", 0.01, "slope for negative inputs")}),
      elementwise("tanh",
                  "Hyperbolic tangent, any shape. Counted as 1 FLOP per element; bytes: input and output.",
                  {}),
      elementwise("sigmoid",
                  "Logistic function 1/(1+exp(-x)), any shape. Counted as 1 FLOP per element; bytes: input "
                  "and output.",
                  {}),
      elementwise(
          "gelu",
          "Gaussian error linear unit, x*Phi(x), exact (erf) or with the tanh approximation. Counted as "
          "1 FLOP per element; bytes: input and output.",
          {text_attr("approximate", "none", "none (erf) or tanh", {"none", "tanh"})}),
      elementwise("hardtanh",
                  "Clamp to [min_val, max_val]; DeepSpeech 2 uses hardtanh(0, 20). 1 FLOP per element; "
                  "bytes: input and output.",
                  {real_attr("min_val", -1.0, "lower bound"), real_attr("max_val", 1.0, "upper bound")}, 1,
                  [](const Attributes& attrs) {
                    if (attrs.real("min_val") > attrs.real("max_val"))
                      throw ShapeError(fmt::format("min_val {} is above max_val {}", attrs.real("min_val"),
                                                   attrs.real("max_val")));
                  }),
      softmax_like("softmax",
                   "exp(x - max) / sum(exp(x - max)) along an axis (default the last). 5 FLOPs per element; "
                   "bytes: input and output."),
      softmax_like("log_softmax",
                   "x - max - log(sum(exp(x - max))) along an axis (default the last). 5 FLOPs per element; "
                   "bytes: input and output."),
  };
}

}  // namespace ntp::ops
