// Multi-head attention, batch-major [N, T, E].
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

std::vector<OpSchema> attention_ops() {
  OpSchema op;
  op.name = "attention";
  op.family = "attention";
  op.summary =
      "Multi-head scaled dot-product attention with input and output projections: Q = q W_q^T + b_q "
      "(likewise K, "
      "V), per head softmax(Q K^T / sqrt(E/heads) [+ causal mask]) V, heads concatenated, then W_o. One "
      "input "
      "is self-attention (q = k = v); three are q, k, v. Weights w_q, w_k, w_v, w_o [E, E] and b_q, b_k, "
      "b_v, "
      "b_o [E]. FLOPs: 2*N*E*E*(2T + 2S) for the projections, 4*N*T*S*E for the scores and the weighted sum, "
      "5*N*heads*T*S for the softmax; bytes: the inputs, the eight weights and the output.";
  op.layout = "[N, T, E] (batch-major); k and v [N, S, E]";
  op.max_inputs = 3;
  op.attrs = {required_integer("heads", "attention heads; E must divide by it"),
              integer_attr("causal", 0, "1: position t attends only to positions <= t (needs T == S)")};
  op.infer = [](const OpContext& ctx) {
    if (ctx.inputs.size() == 2)
      throw ShapeError("attention takes 1 input (self-attention) or 3 (q, k, v), got 2");
    for (std::size_t i = 0; i < ctx.inputs.size(); ++i)
      expect_rank(ctx.in(i), 3, 3, "attention input [N, T, E]");
    const Shape& q = ctx.in(0);
    const Shape& k = ctx.in(ctx.inputs.size() == 3 ? 1 : 0);
    const Shape& v = ctx.in(ctx.inputs.size() == 3 ? 2 : 0);
    const std::int64_t embed = q[2];
    const std::int64_t heads = ctx.attrs.integer("heads");
    expect_positive(heads, "heads");
    if (embed % heads != 0)
      throw ShapeError(fmt::format("embedding size {} does not divide into {} heads", embed, heads),
                       "heads must divide E, the last axis of the input");
    if (k[0] != q[0] || v[0] != q[0] || k[2] != embed || v[2] != embed || k[1] != v[1])
      throw ShapeError(fmt::format("q {}, k {} and v {} disagree", shape_to_string(q), shape_to_string(k),
                                   shape_to_string(v)),
                       "k and v must be [N, S, E] with q's N and E");
    if (ctx.attrs.integer("causal") != 0 && k[1] != q[1])
      throw ShapeError(fmt::format("a causal mask needs as many keys as queries, got {} and {}", k[1], q[1]),
                       "use causal=0 for cross-attention");
    InferResult result;
    result.outputs.push_back({q, ctx.inputs[0]->dtype});
    const Distribution init = fan_in_uniform(embed);
    for (const char* name : {"q", "k", "v", "o"})
      result.weights.push_back({std::string("w_") + name, {embed, embed}, init});
    for (const char* name : {"q", "k", "v", "o"})
      result.weights.push_back({std::string("b_") + name, {embed}, init});
    return result;
  };
  op.cost = [](const OpContext& ctx) {
    const Shape& q = ctx.in(0);
    const double batch = static_cast<double>(q[0]);
    const double queries = static_cast<double>(q[1]);
    const double keys = static_cast<double>(ctx.in(ctx.inputs.size() == 3 ? 1 : 0)[1]);
    const double embed = static_cast<double>(q[2]);
    const double heads = static_cast<double>(ctx.attrs.integer("heads"));
    const double flops = 2 * batch * embed * embed * (2 * queries + 2 * keys) +
                         4 * batch * queries * keys * embed + 5 * batch * heads * queries * keys;
    return default_cost(ctx, flops);
  };
  return {op};
}

}  // namespace ntp::ops
