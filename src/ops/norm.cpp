// Normalisation: batchnorm (inference, running statistics) and layernorm (last axis).
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {
const Distribution kScale{Distribution::Kind::uniform, 0.5, 1.5};
const Distribution kShift{Distribution::Kind::uniform, -0.5, 0.5};

void check_epsilon(const Attributes& attrs) {
  const double epsilon = attrs.real("epsilon");
  if (!(epsilon >= 0)) throw ShapeError(fmt::format("epsilon {} must not be negative", epsilon));
}
}  // namespace

std::vector<OpSchema> norm_ops() {
  OpSchema batchnorm;
  batchnorm.name = "batchnorm";
  batchnorm.family = "norm";
  batchnorm.summary =
      "Batch normalisation at inference: y = scale * (x - mean) / sqrt(variance + epsilon) + shift per "
      "channel "
      "(axis 1). Weights scale, shift, mean, variance [C], all counted as parameters. 2 FLOPs per element "
      "(the folded multiply and add); bytes: input, the four weights and output.";
  batchnorm.layout = "[N, C, ...]";
  batchnorm.attrs = {real_attr("epsilon", 1e-5, "added to the variance")};
  batchnorm.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 2, 8, "batchnorm input [N, C, ...]");
    check_epsilon(ctx.attrs);
    const std::int64_t channels = ctx.in(0)[1];
    InferResult result;
    result.outputs.push_back({ctx.in(0), ctx.inputs[0]->dtype});
    result.weights = {{"scale", {channels}, kScale},
                      {"shift", {channels}, kShift},
                      {"mean", {channels}, kShift},
                      {"variance", {channels}, kScale}};
    return result;
  };
  batchnorm.cost = [](const OpContext& ctx) { return default_cost(ctx, 2 * elements(ctx.in(0))); };

  OpSchema layernorm;
  layernorm.name = "layernorm";
  layernorm.family = "norm";
  layernorm.summary =
      "Layer normalisation over the last axis: y = scale * (x - mean) / sqrt(variance + epsilon) + shift. "
      "Weights "
      "scale and shift [C]. 8 FLOPs per element; bytes: input, weights and output.";
  layernorm.layout = "[..., C]";
  layernorm.attrs = {real_attr("epsilon", 1e-5, "added to the variance")};
  layernorm.infer = [](const OpContext& ctx) {
    expect_rank(ctx.in(0), 1, 8, "layernorm input");
    check_epsilon(ctx.attrs);
    const std::int64_t channels = ctx.in(0).back();
    InferResult result;
    result.outputs.push_back({ctx.in(0), ctx.inputs[0]->dtype});
    result.weights = {{"scale", {channels}, kScale}, {"shift", {channels}, kShift}};
    return result;
  };
  layernorm.cost = [](const OpContext& ctx) { return default_cost(ctx, 8 * elements(ctx.in(0))); };
  return {batchnorm, layernorm};
}

}  // namespace ntp::ops
