// Subgraphs of plain ONNX arithmetic that are one NTP op. Matching is structural (operator types, constant
// values, and every intermediate read by the group alone), not by node names, so PyTorch's exports of the
// same functions match too; anything that differs is converted node by node instead.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "import_context.h"

namespace ntp::onnx_io {

namespace {

using onnx::NodeProto;

bool is_onnx_op(const NodeProto* node, const char* type) {
  return node != nullptr && node->op_type() == type &&
         (node->domain().empty() || node->domain() == "ai.onnx");
}

// `tensor` known at load time: already folded, or written by a Constant node not converted yet (PyTorch
// places Constant nodes just before their reader).
std::optional<ConstTensor> known(const ImportContext& ctx, const std::string& tensor) {
  if (ctx.is_defined(tensor)) {
    const Operand& operand = ctx.operand(tensor);
    if (operand.constant) return operand.constant;
    return std::nullopt;
  }
  const NodeProto* producer = ctx.producer(tensor);
  if (!is_onnx_op(producer, "Constant")) return std::nullopt;
  for (const auto& attr : producer->attribute())
    if (attr.name() == "value") return ctx.decode(attr.t());
  return std::nullopt;
}

// The other operand of a binary node that reads `tensor`, when it is a known scalar (any shape of one
// element).
std::optional<double> scalar_operand(const ImportContext& ctx, const NodeProto& node,
                                     const std::string& tensor) {
  if (node.input_size() != 2) return std::nullopt;
  const int other = node.input(0) == tensor ? 1 : node.input(1) == tensor ? 0 : -1;
  if (other < 0) return std::nullopt;
  const auto value = known(ctx, node.input(other));
  if (!value || value->count() != 1) return std::nullopt;
  return value->real(0);
}

bool near(double value, double expected) {
  return std::abs(value - expected) <= 1e-5 * std::abs(expected);
}

// The node reading `tensor` that is its only reader, of type `type`.
const NodeProto* sole(const ImportContext& ctx, const std::string& tensor, const char* type) {
  const NodeProto* consumer = ctx.sole_consumer(tensor);
  return is_onnx_op(consumer, type) ? consumer : nullptr;
}

// ---- GELU ----

std::optional<GeluMatch> gelu_from(const ImportContext& ctx, const NodeProto& scale, const std::string& x) {
  const bool divides = is_onnx_op(&scale, "Div") && scale.input(0) == x;
  const bool multiplies = is_onnx_op(&scale, "Mul");
  if (!divides && !multiplies) return std::nullopt;
  const auto factor = scalar_operand(ctx, scale, x);
  if (!factor || !near(divides ? *factor : 1.0 / *factor, std::numbers::sqrt2)) return std::nullopt;
  const NodeProto* erf = sole(ctx, scale.output(0), "Erf");
  if (erf == nullptr) return std::nullopt;
  const NodeProto* plus_one = sole(ctx, erf->output(0), "Add");
  if (plus_one == nullptr || !near(scalar_operand(ctx, *plus_one, erf->output(0)).value_or(0), 1.0))
    return std::nullopt;
  const NodeProto* times_x = sole(ctx, plus_one->output(0), "Mul");
  if (times_x == nullptr || scalar_operand(ctx, *times_x, plus_one->output(0)) ||
      (times_x->input(0) != x && times_x->input(1) != x))
    return std::nullopt;
  const NodeProto* half = sole(ctx, times_x->output(0), "Mul");
  if (half == nullptr || !near(scalar_operand(ctx, *half, times_x->output(0)).value_or(0), 0.5))
    return std::nullopt;
  return GeluMatch{{&scale, erf, plus_one, times_x, half}};
}

// ---- attention ----

// One projection: x -> MatMul(x, W [E, E]) -> Add(b [E]) -> Reshape([N, T, heads, E/heads]) -> Transpose.
struct Projection {
  std::vector<const NodeProto*> nodes;  // MatMul, Add, Reshape, Transpose
  std::string input;
  std::string output;
  std::vector<std::int64_t> perm;
  std::int64_t heads = 0;
  Tensor weight;  // NTP's [E, E] (out, in): the transpose of the MatMul's B
  Tensor bias;
};

std::optional<Projection> projection_from(const ImportContext& ctx, const NodeProto& matmul) {
  if (!is_onnx_op(&matmul, "MatMul") || !ctx.is_defined(matmul.input(0))) return std::nullopt;
  const auto b = known(ctx, matmul.input(1));
  if (!b || b->integral || b->shape.size() != 2 || b->shape[0] != b->shape[1]) return std::nullopt;
  const std::int64_t embed = b->shape[0];
  const NodeProto* add = sole(ctx, matmul.output(0), "Add");
  if (add == nullptr || add->input_size() != 2) return std::nullopt;
  const auto bias = known(ctx, add->input(add->input(0) == matmul.output(0) ? 1 : 0));
  if (!bias || bias->integral || bias->count() != embed || bias->shape.back() != embed) return std::nullopt;
  const NodeProto* reshape = sole(ctx, add->output(0), "Reshape");
  if (reshape == nullptr || reshape->input(0) != add->output(0)) return std::nullopt;
  const auto target = known(ctx, reshape->input(1));
  if (!target || !target->integral || target->count() != 4) return std::nullopt;
  const std::int64_t heads = target->ints[2];
  if (heads <= 0 || target->ints[3] * heads != embed) return std::nullopt;
  const Shape& input_shape = ctx.shape_of(ctx.operand(matmul.input(0)).value);
  if (input_shape.size() != 3 || input_shape[2] != embed) return std::nullopt;
  for (std::size_t d = 0; d < 2; ++d)
    if (target->ints[d] != 0 && target->ints[d] != input_shape[d]) return std::nullopt;
  const NodeProto* transpose = sole(ctx, reshape->output(0), "Transpose");
  if (transpose == nullptr) return std::nullopt;
  Projection result;
  result.nodes = {&matmul, add, reshape, transpose};
  result.input = matmul.input(0);
  result.output = transpose->output(0);
  result.perm = ctx.attr_ints(*transpose, "perm");
  result.heads = heads;
  result.weight = Tensor({embed, embed}, DType::f32);
  float* weight = result.weight.as<float>();
  for (std::int64_t r = 0; r < embed; ++r)
    for (std::int64_t c = 0; c < embed; ++c)
      weight[c * embed + r] = static_cast<float>(b->real(static_cast<std::size_t>(r * embed + c)));
  result.bias = bias->to_f32().reshaped({embed});
  return result;
}

// The projection whose Transpose writes `tensor`, found backwards.
std::optional<Projection> projection_to(const ImportContext& ctx, const std::string& tensor) {
  const NodeProto* node = ctx.producer(tensor);
  for (const char* type : {"Transpose", "Reshape", "Add"}) {
    if (!is_onnx_op(node, type)) return std::nullopt;
    const NodeProto* previous = nullptr;
    for (const auto& input : node->input())
      if (const NodeProto* producer = ctx.producer(input); producer != nullptr && previous == nullptr)
        previous = producer;
    node = previous;
  }
  if (!is_onnx_op(node, "MatMul")) return std::nullopt;
  auto projection = projection_from(ctx, *node);
  if (!projection || projection->output != tensor) return std::nullopt;
  return projection;
}

struct AttentionMatch {
  Projection q, k, v;
  std::vector<const NodeProto*> core;  // scores MatMul ... the output Add
  bool causal = false;
  Tensor w_o, b_o;
  std::string output;
};

// A [T, T] constant that is 0 on and below the diagonal and -inf above it.
bool is_causal_mask(const ConstTensor& mask) {
  if (mask.integral || mask.shape.size() != 2 || mask.shape[0] != mask.shape[1]) return false;
  const std::int64_t size = mask.shape[0];
  for (std::int64_t t = 0; t < size; ++t)
    for (std::int64_t s = 0; s < size; ++s) {
      const double value = mask.real(static_cast<std::size_t>(t * size + s));
      if (s <= t ? value != 0 : !(std::isinf(value) && value < 0)) return false;
    }
  return true;
}

std::optional<AttentionMatch> attention_from_scores(const ImportContext& ctx, const NodeProto& scores) {
  AttentionMatch match;
  auto q = projection_to(ctx, scores.input(0));
  auto k = projection_to(ctx, scores.input(1));
  if (!q || !k) return std::nullopt;
  const std::vector<std::int64_t> heads_first = {0, 2, 1, 3};
  if (q->perm != heads_first || k->perm != std::vector<std::int64_t>{0, 2, 3, 1} || q->heads != k->heads)
    return std::nullopt;
  const std::int64_t embed = q->weight.shape()[0];
  const double head_dim = static_cast<double>(embed / q->heads);
  const NodeProto* scale = sole(ctx, scores.output(0), "Mul");
  if (scale == nullptr ||
      !near(scalar_operand(ctx, *scale, scores.output(0)).value_or(0), 1 / std::sqrt(head_dim)))
    return std::nullopt;
  match.core = {&scores, scale};
  std::string logits = scale->output(0);
  if (const NodeProto* mask = sole(ctx, logits, "Add"); mask != nullptr) {
    const auto values = known(ctx, mask->input(mask->input(0) == logits ? 1 : 0));
    if (!values || !is_causal_mask(*values)) return std::nullopt;
    match.causal = true;
    match.core.push_back(mask);
    logits = mask->output(0);
  }
  const NodeProto* softmax = sole(ctx, logits, "Softmax");
  if (softmax == nullptr ||
      (ctx.attr_int(*softmax, "axis", -1) != -1 && ctx.attr_int(*softmax, "axis", -1) != 3))
    return std::nullopt;
  const NodeProto* context = sole(ctx, softmax->output(0), "MatMul");
  if (context == nullptr || context->input(0) != softmax->output(0)) return std::nullopt;
  auto v = projection_to(ctx, context->input(1));
  if (!v || v->perm != heads_first || v->heads != q->heads || v->weight.shape() != q->weight.shape())
    return std::nullopt;
  const NodeProto* heads_back = sole(ctx, context->output(0), "Transpose");
  if (heads_back == nullptr || ctx.attr_ints(*heads_back, "perm") != heads_first) return std::nullopt;
  const NodeProto* merge = sole(ctx, heads_back->output(0), "Reshape");
  if (merge == nullptr || merge->input(0) != heads_back->output(0)) return std::nullopt;
  const auto merged_shape = known(ctx, merge->input(1));
  if (!merged_shape || !merged_shape->integral || merged_shape->count() != 3 ||
      merged_shape->ints[2] != embed)
    return std::nullopt;
  const NodeProto* out_matmul = sole(ctx, merge->output(0), "MatMul");
  if (out_matmul == nullptr || out_matmul->input(0) != merge->output(0)) return std::nullopt;
  // The output projection has no head split; reuse the projection reader up to its Add.
  const auto w_o = known(ctx, out_matmul->input(1));
  if (!w_o || w_o->integral || w_o->shape != Shape{embed, embed}) return std::nullopt;
  const NodeProto* out_add = sole(ctx, out_matmul->output(0), "Add");
  if (out_add == nullptr) return std::nullopt;
  const auto b_o = known(ctx, out_add->input(out_add->input(0) == out_matmul->output(0) ? 1 : 0));
  if (!b_o || b_o->integral || b_o->count() != embed || b_o->shape.back() != embed) return std::nullopt;
  match.core.insert(match.core.end(), {softmax, context, heads_back, merge, out_matmul, out_add});
  match.w_o = Tensor({embed, embed}, DType::f32);
  for (std::int64_t r = 0; r < embed; ++r)
    for (std::int64_t c = 0; c < embed; ++c)
      match.w_o.as<float>()[c * embed + r] =
          static_cast<float>(w_o->real(static_cast<std::size_t>(r * embed + c)));
  match.b_o = b_o->to_f32().reshaped({embed});
  match.q = std::move(*q);
  match.k = std::move(*k);
  match.v = std::move(*v);
  match.output = out_add->output(0);
  return match;
}

// The scores MatMul of the attention whose q, k or v projection starts at `matmul`.
const NodeProto* scores_of(const ImportContext& ctx, const NodeProto& matmul) {
  const auto projection = projection_from(ctx, matmul);
  if (!projection) return nullptr;
  const NodeProto* reader = sole(ctx, projection->output, "MatMul");
  if (reader == nullptr) return nullptr;
  if (projection->perm != std::vector<std::int64_t>{0, 2, 1, 3} || reader->input(1) != projection->output)
    return reader;  // q (input 0) or k (input 1, heads-last perm)
  // v: walk back from the context MatMul through Softmax, the optional mask, and the scale.
  const NodeProto* node = ctx.producer(reader->input(0));
  if (!is_onnx_op(node, "Softmax")) return nullptr;
  node = ctx.producer(node->input(0));
  if (is_onnx_op(node, "Add")) {
    const NodeProto* scale = ctx.producer(node->input(0));
    node = is_onnx_op(scale, "Mul") ? scale : ctx.producer(node->input(1));
  }
  if (!is_onnx_op(node, "Mul")) return nullptr;
  for (const auto& input : node->input())
    if (const NodeProto* producer = ctx.producer(input); is_onnx_op(producer, "MatMul")) return producer;
  return nullptr;
}

}  // namespace

std::optional<GeluMatch> match_gelu_erf(const ImportContext& ctx, const std::string& x, bool only_reader) {
  const auto readers = ctx.consumers(x);
  if (only_reader && (readers.size() != 2 || ctx.is_graph_output(x))) return std::nullopt;
  for (const NodeProto* reader : readers)
    if (auto match = gelu_from(ctx, *reader, x)) return match;
  return std::nullopt;
}

bool try_convert_gelu(ImportContext& ctx, const NodeProto& node) {
  for (int i = 0; i < node.input_size(); ++i) {
    const std::string& x = node.input(i);
    if (!ctx.is_defined(x) || ctx.operand(x).constant) continue;
    const auto match = gelu_from(ctx, node, x);
    if (!match) continue;
    for (const NodeProto* part : match->nodes)
      ctx.mark_fused(part);
    Attributes attrs;
    attrs.set("approximate", std::string("none"));
    const std::string& output = match->nodes.back()->output(0);
    ctx.define(output, ctx.add_op(node, output, "gelu", attrs, {ctx.value_of(x)}));
    return true;
  }
  return false;
}

// ---- LayerNorm written out ----

// A ReduceMean over the last axis of a rank-`rank` tensor, keeping it. (The axes are an attribute up to
// opset 17, the newest this ONNX library checks.)
bool is_mean_over_last_axis(const ImportContext& ctx, const NodeProto* node, std::size_t rank) {
  if (!is_onnx_op(node, "ReduceMean") || node->input_size() != 1 || ctx.attr_int(*node, "keepdims", 1) != 1)
    return false;
  const std::vector<std::int64_t> axes = ctx.attr_ints(*node, "axes", {});
  const auto last = static_cast<std::int64_t>(rank) - 1;
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == last);
}

// The known operand of the binary `node` other than `tensor`, when it has `count` elements.
std::optional<ConstTensor> constant_operand(const ImportContext& ctx, const NodeProto& node,
                                            const std::string& tensor, std::int64_t count) {
  if (node.input_size() != 2) return std::nullopt;
  const std::string& other = node.input(0) == tensor ? node.input(1) : node.input(0);
  auto value = known(ctx, other);
  if (!value || value->count() != count) return std::nullopt;
  return value;
}

struct LayerNormMatch {
  std::vector<const NodeProto*> nodes;  // model order; the last one writes the normalised output
  double epsilon = 0;
  std::optional<ConstTensor> scale, shift;  // absent when the model applies none
};

// mean = ReduceMean(x); c = x - mean; var = ReduceMean(c * c or c ^ 2); y = c / Sqrt(var + eps), then
// optionally * scale and + shift, all over the last axis: nn.LayerNorm as PyTorch exports it below opset 17
// and as NTP's exporter writes layernorm there. `mean` is the first ReduceMean.
std::optional<LayerNormMatch> layernorm_from(const ImportContext& ctx, const NodeProto& mean) {
  const std::string& x = mean.input(0);
  if (!ctx.is_defined(x) || ctx.operand(x).constant) return std::nullopt;
  const Shape& shape = ctx.shape_of(ctx.operand(x).value);
  if (shape.empty() || !is_mean_over_last_axis(ctx, &mean, shape.size())) return std::nullopt;
  const std::int64_t channels = shape.back();
  LayerNormMatch match;
  match.nodes.push_back(&mean);
  const NodeProto* sub = sole(ctx, mean.output(0), "Sub");
  if (sub == nullptr || sub->input(0) != x || sub->input(1) != mean.output(0)) return std::nullopt;
  match.nodes.push_back(sub);
  const std::string& centered = sub->output(0);
  const auto readers = ctx.consumers(centered);
  if (readers.size() != 2 || ctx.is_graph_output(centered)) return std::nullopt;
  const NodeProto* square = readers[0];
  const bool multiplies =
      is_onnx_op(square, "Mul") && square->input(0) == centered && square->input(1) == centered;
  const auto exponent = is_onnx_op(square, "Pow") ? scalar_operand(ctx, *square, centered) : std::nullopt;
  if (!multiplies && !(exponent && *exponent == 2.0 && square->input(0) == centered)) return std::nullopt;
  match.nodes.push_back(square);
  const NodeProto* variance = ctx.sole_consumer(square->output(0));
  if (!is_mean_over_last_axis(ctx, variance, shape.size())) return std::nullopt;
  match.nodes.push_back(variance);
  const NodeProto* plus_epsilon = sole(ctx, variance->output(0), "Add");
  const auto epsilon = plus_epsilon ? scalar_operand(ctx, *plus_epsilon, variance->output(0)) : std::nullopt;
  if (!epsilon || *epsilon < 0) return std::nullopt;
  match.epsilon = *epsilon;
  match.nodes.push_back(plus_epsilon);
  const NodeProto* root = sole(ctx, plus_epsilon->output(0), "Sqrt");
  if (root == nullptr) return std::nullopt;
  match.nodes.push_back(root);
  const NodeProto* divide = sole(ctx, root->output(0), "Div");
  if (divide == nullptr || divide != readers[1] || divide->input(0) != centered) return std::nullopt;
  match.nodes.push_back(divide);
  // The affine part, where the model has it: Mul by [C] then Add of [C] (either alone is taken too).
  const NodeProto* scale = sole(ctx, divide->output(0), "Mul");
  if (scale != nullptr && (match.scale = constant_operand(ctx, *scale, divide->output(0), channels)))
    match.nodes.push_back(scale);
  const std::string& last = match.nodes.back()->output(0);
  const NodeProto* shift = sole(ctx, last, "Add");
  if (shift != nullptr && (match.shift = constant_operand(ctx, *shift, last, channels)))
    match.nodes.push_back(shift);
  for (std::size_t i = 0; i + 1 < match.nodes.size(); ++i)
    if (ctx.is_graph_output(match.nodes[i]->output(0)) || ctx.is_defined(match.nodes[i]->output(0)))
      return std::nullopt;
  return match;
}

bool try_convert_attention(ImportContext& ctx, const NodeProto& node) {
  const NodeProto* scores = scores_of(ctx, node);
  if (scores == nullptr) return false;
  auto match = attention_from_scores(ctx, *scores);
  if (!match) return false;
  // Converted at the first of the three projections in model order, once every input is defined.
  if (match->q.nodes.front() != &node && match->k.nodes.front() != &node && match->v.nodes.front() != &node)
    return false;
  std::vector<const NodeProto*> group = match->core;
  for (const auto* projection : {&match->q, &match->k, &match->v}) {
    if (!ctx.is_defined(projection->input)) return false;  // an input written after this node
    group.insert(group.end(), projection->nodes.begin(), projection->nodes.end());
  }
  for (const NodeProto* part : group)
    if (ctx.is_defined(part->output(0))) return false;  // converted on its own already
  const bool self = match->q.input == match->k.input && match->q.input == match->v.input;
  std::vector<int> inputs = {ctx.value_of(match->q.input)};
  if (!self) {
    inputs.push_back(ctx.value_of(match->k.input));
    inputs.push_back(ctx.value_of(match->v.input));
  }
  Attributes attrs;
  attrs.set("heads", match->q.heads);
  attrs.set("causal", std::int64_t{match->causal ? 1 : 0});
  const std::map<std::string, Tensor> weights = {
      {"w_q", match->q.weight}, {"w_k", match->k.weight}, {"w_v", match->v.weight}, {"w_o", match->w_o},
      {"b_q", match->q.bias},   {"b_k", match->k.bias},   {"b_v", match->v.bias},   {"b_o", match->b_o}};
  for (const NodeProto* part : group)
    ctx.mark_fused(part);
  ctx.define(match->output, ctx.add_op(node, match->output, "attention", attrs, inputs, weights));
  return true;
}

bool try_convert_layernorm(ImportContext& ctx, const NodeProto& node) {
  const auto match = layernorm_from(ctx, node);
  if (!match) return false;
  const std::string& x = node.input(0);
  const std::int64_t channels = ctx.shape_of(ctx.operand(x).value).back();
  Tensor scale({channels}, DType::f32);
  Tensor shift({channels}, DType::f32);  // zeros
  if (match->scale)
    scale = match->scale->to_f32().reshaped({channels});
  else
    for (std::int64_t c = 0; c < channels; ++c)
      scale.as<float>()[c] = 1.0F;
  if (match->shift) shift = match->shift->to_f32().reshaped({channels});
  for (const NodeProto* part : match->nodes)
    ctx.mark_fused(part);
  Attributes attrs;
  attrs.set("epsilon", match->epsilon);
  const NodeProto& last = *match->nodes.back();  // its name is the layer's (NTP's exporter names it so)
  ctx.define(last.output(0), ctx.add_op(last, last.output(0), "layernorm", attrs, {ctx.value_of(x)},
                                        {{"scale", scale}, {"shift", shift}}));
  return true;
}

}  // namespace ntp::onnx_io
