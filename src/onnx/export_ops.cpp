// NTP ops as ONNX operators. A node that needs several ONNX nodes gives its name to the main one (Gemm,
// Conv, ...) or, when it is decomposed into plain arithmetic, to the last one; helpers are "name/part".
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <numbers>

#include "export.h"
#include "export_builder.h"
#include "ntp/fused_activation.h"
#include "ntp/op_schema.h"
#include "ntp/tensor.h"

namespace ntp::onnx_io {

namespace {

std::vector<float> transposed_matrix(const Tensor& matrix) {
  const std::int64_t rows = matrix.shape().at(0);
  const std::int64_t columns = matrix.shape().at(1);
  const float* data = matrix.as<float>();
  std::vector<float> result(static_cast<std::size_t>(rows * columns));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < columns; ++c)
      result[static_cast<std::size_t>(c * rows + r)] = data[r * columns + c];
  return result;
}

// The GELU of `x` in plain ONNX arithmetic (opset 17 has no Gelu): the erf form 0.5*x*(1 + erf(x/sqrt2))
// or the tanh form 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))). The last node is `final_name`.
void emit_gelu(const EmitContext& ctx, const std::string& x, bool tanh_form, const std::string& prefix,
               const std::string& final_name, const std::string& output) {
  ModelBuilder& model = ctx.model;
  auto name = [&](const std::string& part) { return prefix + part; };
  std::string inner;
  if (tanh_form) {
    model.node("Mul", name("square"), {x, x}, {name("square")});
    model.node("Mul", name("cube"), {name("square"), x}, {name("cube")});
    model.node("Mul", name("cube_scaled"), {name("cube"), model.scalar(name("coefficient"), 0.044715F)},
               {name("cube_scaled")});
    model.node("Add", name("polynomial"), {x, name("cube_scaled")}, {name("polynomial")});
    const auto k = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
    model.node("Mul", name("scaled"), {name("polynomial"), model.scalar(name("sqrt_2_over_pi"), k)},
               {name("scaled")});
    model.node("Tanh", name("tanh"), {name("scaled")}, {name("tanh")});
    inner = name("tanh");
  } else {
    model.node("Div", name("scaled"), {x, model.scalar(name("sqrt2"), std::numbers::sqrt2_v<float>)},
               {name("scaled")});
    model.node("Erf", name("erf"), {name("scaled")}, {name("erf")});
    inner = name("erf");
  }
  model.node("Add", name("one_plus"), {inner, model.scalar(name("one"), 1.0F)}, {name("one_plus")});
  model.node("Mul", name("times_x"), {x, name("one_plus")}, {name("times_x")});
  model.node("Mul", final_name, {name("times_x"), model.scalar(name("half"), 0.5F)}, {output});
}

// relu (clipped) as Relu or Clip(0, clip) with its bounds as initializers (inputs since opset 11).
void emit_relu(const EmitContext& ctx, const std::string& x, double clip, const std::string& prefix,
               const std::string& final_name, const std::string& output) {
  if (clip > 0) {
    ctx.model.node("Clip", final_name,
                   {x, ctx.model.scalar(prefix + "min", 0.0F),
                    ctx.model.scalar(prefix + "max", static_cast<float>(clip))},
                   {output});
  } else {
    ctx.model.node("Relu", final_name, {x}, {output});
  }
}

// A fused activation (fc, conv) after the main node: one node "name/act" (GELU: helpers "name/act_*").
void emit_fused_activation(const EmitContext& ctx, const std::string& x, const std::string& output) {
  const FusedActivation activation = FusedActivation::of(ctx.node.attrs);
  const std::string final_name = ctx.part("act");
  const std::string prefix = ctx.part("act_");
  switch (activation.kind) {
    case FusedActivation::Kind::relu:
      emit_relu(ctx, x, activation.clip, prefix, final_name, output);
      return;
    case FusedActivation::Kind::tanh:
      ctx.model.node("Tanh", final_name, {x}, {output});
      return;
    case FusedActivation::Kind::sigmoid:
      ctx.model.node("Sigmoid", final_name, {x}, {output});
      return;
    case FusedActivation::Kind::leaky_relu:
      set_attr(ctx.model.node("LeakyRelu", final_name, {x}, {output}), "alpha",
               static_cast<float>(activation.alpha));
      return;
    case FusedActivation::Kind::gelu:
      emit_gelu(ctx, x, false, prefix, final_name, output);
      return;
    case FusedActivation::Kind::none:
      break;
  }
  throw UserError(ctx.node.where, fmt::format("layer '{}': activation '{}' cannot be exported", ctx.node.name,
                                              activation.name()));
}

bool has_activation(const Node& node) {
  return FusedActivation::of(node.attrs).kind != FusedActivation::Kind::none;
}

// fc: Gemm (weight [units, C] as B with transB=1) for a 2-D input; MatMul with the transposed weight and an
// Add of the bias for higher ranks (DeepSpeech's [T, N, C]).
void emit_fc(const EmitContext& ctx) {
  const std::string main_out = has_activation(ctx.node) ? ctx.part("linear") : ctx.output(0);
  const bool bias = ctx.node.attrs.integer("bias") != 0;
  const Tensor& weight = ctx.weight("weight");
  if (ctx.input_shape(0).size() == 2) {
    std::vector<std::string> inputs = {ctx.input(0), ctx.model.tensor(ctx.part("weight"), weight)};
    if (bias) inputs.push_back(ctx.model.tensor(ctx.part("bias"), ctx.weight("bias")));
    set_attr(ctx.model.node("Gemm", ctx.node.name, inputs, {main_out}), "transB", std::int64_t{1});
  } else {
    const Shape transposed_shape = {weight.shape().at(1), weight.shape().at(0)};
    const std::string& weight_t =
        ctx.model.floats(ctx.part("weight_t"), transposed_shape, transposed_matrix(weight));
    const std::string product = bias ? ctx.part("matmul") : main_out;
    ctx.model.node("MatMul", ctx.node.name, {ctx.input(0), weight_t}, {product});
    if (bias)
      ctx.model.node("Add", ctx.part("add_bias"),
                     {product, ctx.model.tensor(ctx.part("bias"), ctx.weight("bias"))}, {main_out});
  }
  if (has_activation(ctx.node)) emit_fused_activation(ctx, main_out, ctx.output(0));
}

void emit_matmul(const EmitContext& ctx) {
  std::string b = ctx.input(1);
  if (ctx.node.attrs.integer("transpose_b") != 0) {
    const auto rank = static_cast<std::int64_t>(ctx.input_shape(1).size());
    std::vector<std::int64_t> perm;
    for (std::int64_t d = 0; d < rank - 2; ++d)
      perm.push_back(d);
    perm.push_back(rank - 1);
    perm.push_back(rank - 2);
    b = ctx.part("transpose_b");
    set_attr(ctx.model.node("Transpose", b, {ctx.input(1)}, {b}), "perm", perm);
  }
  ctx.model.node("MatMul", ctx.node.name, {ctx.input(0), b}, {ctx.output(0)});
}

// embedding: NTP's ids are fp32 holding integers; Gather wants integer indices.
void emit_embedding(const EmitContext& ctx) {
  const std::string ids = ctx.part("ids");
  set_attr(ctx.model.node("Cast", ids, {ctx.input(0)}, {ids}), "to",
           static_cast<std::int64_t>(onnx::TensorProto_DataType_INT64));
  set_attr(ctx.model.node("Gather", ctx.node.name,
                          {ctx.model.tensor(ctx.part("weight"), ctx.weight("weight")), ids}, {ctx.output(0)}),
           "axis", std::int64_t{0});
}

// ONNX pads are [begin of every axis..., end of every axis...]; NTP's padding is symmetric.
std::vector<std::int64_t> symmetric_pads(const std::vector<std::int64_t>& padding) {
  std::vector<std::int64_t> pads = padding;
  pads.insert(pads.end(), padding.begin(), padding.end());
  return pads;
}

void emit_conv(const EmitContext& ctx) {
  const Attributes& attrs = ctx.node.attrs;
  const std::size_t dims = ctx.input_shape(0).size() - 2;
  const std::string main_out = has_activation(ctx.node) ? ctx.part("conv") : ctx.output(0);
  std::vector<std::string> inputs = {ctx.input(0),
                                     ctx.model.tensor(ctx.part("weight"), ctx.weight("weight"))};
  if (attrs.integer("bias") != 0) inputs.push_back(ctx.model.tensor(ctx.part("bias"), ctx.weight("bias")));
  // ConvTranspose shares Conv's attributes and weight order (its weight is [C, F/groups, k...]).
  const bool transposed = ctx.node.op.rfind("conv_transpose", 0) == 0;
  onnx::NodeProto& conv =
      ctx.model.node(transposed ? "ConvTranspose" : "Conv", ctx.node.name, inputs, {main_out});
  set_attr(conv, "kernel_shape", per_dimension(attrs, "kernel", dims, {}));
  set_attr(conv, "strides", per_dimension(attrs, "stride", dims, {1}));
  set_attr(conv, "pads", symmetric_pads(per_dimension(attrs, "padding", dims, {0})));
  set_attr(conv, "dilations", per_dimension(attrs, "dilation", dims, {1}));
  set_attr(conv, "group", attrs.integer("groups"));
  if (transposed) set_attr(conv, "output_padding", per_dimension(attrs, "output_padding", dims, {0}));
  if (has_activation(ctx.node)) emit_fused_activation(ctx, main_out, ctx.output(0));
}

void emit_window_pool(const EmitContext& ctx, bool average) {
  const Attributes& attrs = ctx.node.attrs;
  const std::size_t dims = ctx.input_shape(0).size() - 2;
  const auto kernel = per_dimension(attrs, "kernel", dims, {});
  onnx::NodeProto& pool =
      ctx.model.node(average ? "AveragePool" : "MaxPool", ctx.node.name, {ctx.input(0)}, {ctx.output(0)});
  set_attr(pool, "kernel_shape", kernel);
  set_attr(pool, "strides", per_dimension(attrs, "stride", dims, kernel));
  set_attr(pool, "pads", symmetric_pads(per_dimension(attrs, "padding", dims, {0})));
  if (average) set_attr(pool, "count_include_pad", attrs.integer("count_include_pad"));
}

void emit_batchnorm(const EmitContext& ctx) {
  std::vector<std::string> inputs = {ctx.input(0)};
  for (const char* weight : {"scale", "shift", "mean", "variance"})
    inputs.push_back(ctx.model.tensor(ctx.part(weight), ctx.weight(weight)));
  set_attr(ctx.model.node("BatchNormalization", ctx.node.name, inputs, {ctx.output(0)}), "epsilon",
           static_cast<float>(ctx.node.attrs.real("epsilon")));
}

// LayerNormalization from opset 17; before it, the same arithmetic over the last axis (biased variance).
void emit_layernorm(const EmitContext& ctx) {
  ModelBuilder& model = ctx.model;
  const std::string& scale = model.tensor(ctx.part("scale"), ctx.weight("scale"));
  const std::string& shift = model.tensor(ctx.part("shift"), ctx.weight("shift"));
  const auto epsilon = static_cast<float>(ctx.node.attrs.real("epsilon"));
  if (model.opset() >= 17) {
    onnx::NodeProto& norm =
        model.node("LayerNormalization", ctx.node.name, {ctx.input(0), scale, shift}, {ctx.output(0)});
    set_attr(norm, "axis", std::int64_t{-1});
    set_attr(norm, "epsilon", epsilon);
    return;
  }
  auto part = [&](const char* suffix) { return ctx.part(suffix); };
  auto mean_of = [&](const std::string& x, const char* suffix) {
    onnx::NodeProto& mean = model.node("ReduceMean", part(suffix), {x}, {part(suffix)});
    set_attr(mean, "axes", std::vector<std::int64_t>{-1});  // an attribute until opset 18
    set_attr(mean, "keepdims", std::int64_t{1});
  };
  mean_of(ctx.input(0), "mean");
  model.node("Sub", part("centered"), {ctx.input(0), part("mean")}, {part("centered")});
  model.node("Mul", part("squared"), {part("centered"), part("centered")}, {part("squared")});
  mean_of(part("squared"), "variance");
  model.node("Add", part("variance_eps"), {part("variance"), model.scalar(part("epsilon"), epsilon)},
             {part("variance_eps")});
  model.node("Sqrt", part("std"), {part("variance_eps")}, {part("std")});
  model.node("Div", part("normalized"), {part("centered"), part("std")}, {part("normalized")});
  model.node("Mul", part("scaled"), {part("normalized"), scale}, {part("scaled")});
  model.node("Add", ctx.node.name, {part("scaled"), shift}, {ctx.output(0)});
}

// Multi-head attention in plain ONNX (MatMul, Reshape, Transpose, Softmax); reshapes copy N and T with 0 so
// the model stays valid at other batch sizes and lengths.
void emit_attention(const EmitContext& ctx) {
  ModelBuilder& model = ctx.model;
  const Shape& q_shape = ctx.input_shape(0);
  const std::int64_t embed = q_shape.at(2);
  const std::int64_t heads = ctx.node.attrs.integer("heads");
  const std::int64_t head_dim = embed / heads;
  const bool self = ctx.node.inputs.size() == 1;
  auto part = [&](const std::string& suffix) { return ctx.part(suffix); };
  const std::string& split_heads = model.int64s(part("heads_shape"), {0, 0, heads, head_dim});
  const std::string& merge_heads = model.int64s(part("merged_shape"), {0, 0, embed});

  auto project = [&](const std::string& x, const std::string& which, const std::string& output) {
    const Tensor& weight = ctx.weight("w_" + which);
    const std::string& weight_t =
        model.floats(part("w_" + which + "_t"), {embed, embed}, transposed_matrix(weight));
    model.node("MatMul", part(which + "_matmul"), {x, weight_t}, {part(which + "_matmul")});
    model.node("Add", part(which + "_proj"),
               {part(which + "_matmul"), model.tensor(part("b_" + which), ctx.weight("b_" + which))},
               {output});
  };
  // [N, T, E] -> [N, T, heads, head_dim] -> permuted
  auto heads_of = [&](const std::string& which, std::size_t input, std::vector<std::int64_t> perm) {
    project(ctx.input(self ? 0 : input), which, part(which + "_proj"));
    model.node("Reshape", part(which + "_heads"), {part(which + "_proj"), split_heads},
               {part(which + "_heads")});
    set_attr(model.node("Transpose", part(which + "_t"), {part(which + "_heads")}, {part(which + "_t")}),
             "perm", perm);
    return part(which + "_t");
  };
  const std::string q = heads_of("q", 0, {0, 2, 1, 3});  // [N, heads, T, d]
  const std::string k = heads_of("k", 1, {0, 2, 3, 1});  // [N, heads, d, S]
  const std::string v = heads_of("v", 2, {0, 2, 1, 3});  // [N, heads, S, d]
  model.node("MatMul", part("scores_raw"), {q, k}, {part("scores_raw")});
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  model.node("Mul", part("scores"), {part("scores_raw"), model.scalar(part("scale"), scale)},
             {part("scores")});
  std::string scores = part("scores");
  if (ctx.node.attrs.integer("causal") != 0) {
    // A fixed [T, T] mask: causal attention pins the sequence length (export keeps T concrete then).
    const std::int64_t tokens = q_shape.at(1);
    std::vector<float> mask(static_cast<std::size_t>(tokens * tokens), 0.0F);
    for (std::int64_t t = 0; t < tokens; ++t)
      for (std::int64_t s = t + 1; s < tokens; ++s)
        mask[static_cast<std::size_t>(t * tokens + s)] = -std::numeric_limits<float>::infinity();
    model.node("Add", part("masked"), {scores, model.floats(part("mask"), {tokens, tokens}, mask)},
               {part("masked")});
    scores = part("masked");
  }
  set_attr(model.node("Softmax", part("weights"), {scores}, {part("weights")}), "axis", std::int64_t{-1});
  model.node("MatMul", part("context"), {part("weights"), v}, {part("context")});  // [N, heads, T, d]
  set_attr(model.node("Transpose", part("context_t"), {part("context")}, {part("context_t")}), "perm",
           std::vector<std::int64_t>{0, 2, 1, 3});
  model.node("Reshape", part("merged"), {part("context_t"), merge_heads}, {part("merged")});
  const Tensor& w_o = ctx.weight("w_o");
  model.node("MatMul", part("o_matmul"),
             {part("merged"), model.floats(part("w_o_t"), {embed, embed}, transposed_matrix(w_o))},
             {part("o_matmul")});
  model.node("Add", ctx.node.name, {part("o_matmul"), model.tensor(part("b_o"), ctx.weight("b_o"))},
             {ctx.output(0)});
}

// add / mul of n inputs: a chain of n-1 binary nodes, the last one named after the layer.
void emit_chain(const EmitContext& ctx, const std::string& op_type) {
  std::string accumulated = ctx.input(0);
  const std::size_t count = ctx.node.inputs.size();
  for (std::size_t i = 1; i < count; ++i) {
    const bool last = i + 1 == count;
    const std::string name = last ? ctx.node.name : ctx.part(fmt::format("partial{}", i));
    const std::string output = last ? ctx.output(0) : name;
    ctx.model.node(op_type, name, {accumulated, ctx.input(i)}, {output});
    accumulated = output;
  }
}

void emit_split(const EmitContext& ctx) {
  const auto axis = static_cast<std::int64_t>(ctx.node.attrs.integer("axis"));
  const auto rank = static_cast<std::int64_t>(ctx.input_shape(0).size());
  const auto normalised = static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
  std::vector<std::int64_t> sizes;
  std::vector<std::string> outputs;
  for (std::size_t k = 0; k < ctx.node.outputs.size(); ++k) {
    sizes.push_back(ctx.output_shape(k).at(normalised));
    outputs.push_back(ctx.output(k));
  }
  set_attr(ctx.model.node("Split", ctx.node.name, {ctx.input(0), ctx.model.int64s(ctx.part("sizes"), sizes)},
                          outputs),
           "axis", axis);
}

// Single ONNX nodes with attributes copied from the NTP node.
void emit_simple(const EmitContext& ctx, const std::string& op_type,
                 const std::function<void(onnx::NodeProto&)>& set_attributes = {}) {
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < ctx.node.inputs.size(); ++i)
    inputs.push_back(ctx.input(i));
  onnx::NodeProto& node = ctx.model.node(op_type, ctx.node.name, inputs, {ctx.output(0)});
  if (set_attributes) set_attributes(node);
}

using Emitter = std::function<void(const EmitContext&)>;

const std::map<std::string, Emitter>& emitters() {
  static const std::map<std::string, Emitter> table = {
      {"fc", emit_fc},
      {"matmul", emit_matmul},
      {"embedding", emit_embedding},
      {"conv1d", emit_conv},
      {"conv2d", emit_conv},
      {"conv_transpose1d", emit_conv},
      {"conv_transpose2d", emit_conv},
      {"maxpool", [](const EmitContext& ctx) { emit_window_pool(ctx, false); }},
      {"avgpool", [](const EmitContext& ctx) { emit_window_pool(ctx, true); }},
      {"global_avgpool", [](const EmitContext& ctx) { emit_simple(ctx, "GlobalAveragePool"); }},
      {"global_maxpool", [](const EmitContext& ctx) { emit_simple(ctx, "GlobalMaxPool"); }},
      {"batchnorm", emit_batchnorm},
      {"layernorm", emit_layernorm},
      {"lstm", emit_recurrent},
      {"gru", emit_recurrent},
      {"rnn", emit_recurrent},
      {"attention", emit_attention},
      {"relu",
       [](const EmitContext& ctx) {
         emit_relu(ctx, ctx.input(0), ctx.node.attrs.real("clip"), ctx.part(""), ctx.node.name,
                   ctx.output(0));
       }},
      {"leaky_relu",
       [](const EmitContext& ctx) {
         emit_simple(ctx, "LeakyRelu", [&](onnx::NodeProto& node) {
           set_attr(node, "alpha", static_cast<float>(ctx.node.attrs.real("alpha")));
         });
       }},
      {"tanh", [](const EmitContext& ctx) { emit_simple(ctx, "Tanh"); }},
      {"sigmoid", [](const EmitContext& ctx) { emit_simple(ctx, "Sigmoid"); }},
      {"gelu",
       [](const EmitContext& ctx) {
         emit_gelu(ctx, ctx.input(0), ctx.node.attrs.text("approximate") == "tanh", ctx.part(""),
                   ctx.node.name, ctx.output(0));
       }},
      {"hardtanh",
       [](const EmitContext& ctx) {
         ctx.model.node(
             "Clip", ctx.node.name,
             {ctx.input(0),
              ctx.model.scalar(ctx.part("min"), static_cast<float>(ctx.node.attrs.real("min_val"))),
              ctx.model.scalar(ctx.part("max"), static_cast<float>(ctx.node.attrs.real("max_val")))},
             {ctx.output(0)});
       }},
      {"softmax",
       [](const EmitContext& ctx) {
         emit_simple(ctx, "Softmax",
                     [&](onnx::NodeProto& node) { set_attr(node, "axis", ctx.node.attrs.integer("axis")); });
       }},
      {"log_softmax",
       [](const EmitContext& ctx) {
         emit_simple(ctx, "LogSoftmax",
                     [&](onnx::NodeProto& node) { set_attr(node, "axis", ctx.node.attrs.integer("axis")); });
       }},
      {"add", [](const EmitContext& ctx) { emit_chain(ctx, "Add"); }},
      {"mul", [](const EmitContext& ctx) { emit_chain(ctx, "Mul"); }},
      {"concat",
       [](const EmitContext& ctx) {
         emit_simple(ctx, "Concat",
                     [&](onnx::NodeProto& node) { set_attr(node, "axis", ctx.node.attrs.integer("axis")); });
       }},
      {"split", emit_split},
      {"reshape",
       [](const EmitContext& ctx) {
         ctx.model.node("Reshape", ctx.node.name,
                        {ctx.input(0), ctx.model.int64s(ctx.part("shape"), ctx.node.attrs.integers("shape"))},
                        {ctx.output(0)});
       }},
      {"transpose",
       [](const EmitContext& ctx) {
         emit_simple(ctx, "Transpose",
                     [&](onnx::NodeProto& node) { set_attr(node, "perm", ctx.node.attrs.integers("perm")); });
       }},
      {"flatten",
       [](const EmitContext& ctx) {
         emit_simple(ctx, "Flatten",
                     [&](onnx::NodeProto& node) { set_attr(node, "axis", ctx.node.attrs.integer("axis")); });
       }},
      {"dropout", [](const EmitContext& ctx) { emit_simple(ctx, "Identity"); }},
  };
  return table;
}

}  // namespace

void emit_ntp_node(const EmitContext& ctx) {
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < ctx.node.inputs.size(); ++i)
    inputs.push_back(ctx.input(i));
  for (const WeightSpec& spec : ctx.node.weights)
    inputs.push_back(ctx.model.tensor(ctx.part(spec.name), ctx.weight(spec.name)));
  std::vector<std::string> outputs;
  for (std::size_t k = 0; k < ctx.node.outputs.size(); ++k)
    outputs.push_back(ctx.output(k));
  onnx::NodeProto& node = ctx.model.node(ctx.node.op, ctx.node.name, inputs, outputs, kNtpDomain);
  for (const auto& [name, value] : ctx.node.attrs.all()) {
    std::visit(
        // `name` by an init-capture: clang before 16 cannot capture a structured binding.
        [&node, &name = name](const auto& typed) {
          using T = std::decay_t<decltype(typed)>;
          if constexpr (std::is_same_v<T, double>) {
            set_attr(node, name, static_cast<float>(typed));
          } else if constexpr (std::is_same_v<T, std::vector<double>>) {
            set_attr(node, name, std::vector<float>(typed.begin(), typed.end()));
          } else {
            set_attr(node, name, typed);
          }
        },
        value);
  }
}

std::vector<std::string> standard_ops() {
  std::vector<std::string> ops;
  for (const auto& [op, emitter] : emitters())
    if (const OpSchema* schema = find_op(op); schema != nullptr && schema->category != OpCategory::inlay)
      ops.push_back(op);
  return ops;
}

void emit_node(const EmitContext& ctx) {
  const auto found = emitters().find(ctx.node.op);
  if (found == emitters().end() || ctx.node.is_inlay()) {
    emit_ntp_node(ctx);
    return;
  }
  found->second(ctx);
}

}  // namespace ntp::onnx_io
