// ONNX LSTM, GRU and RNN as NTP's lstm, gru and rnn. ONNX keeps gates in the orders i, o, f, c (LSTM) and
// z, r, h (GRU), two biases per gate, and writes Y as [T, D, N, H]; NTP's reference kernels define gate
// orders i, f, g, o and r, z, n, one bias per gate (GRU: two), and a merged [T, N, D*H] output. The
// Squeeze, Transpose+Reshape or ReduceSum an exporter puts after Y to reach that layout fold back into the
// one NTP node; otherwise helper reshapes rebuild ONNX's layout for Y and slices give Y_h.
#include <fmt/format.h>

#include "import_context.h"

namespace ntp::onnx_io {

namespace {

using onnx::NodeProto;

struct CellKind {
  std::string op;  // NTP op
  std::int64_t gates;
  std::vector<std::size_t> onnx_block;   // NTP gate k is ONNX block onnx_block[k]
  std::vector<std::string> activations;  // ONNX's defaults, the only ones NTP's cells compute
};

CellKind kind_of(const std::string& type) {
  if (type == "LSTM") return {"lstm", 4, {0, 2, 3, 1}, {"Sigmoid", "Tanh", "Tanh"}};
  if (type == "GRU") return {"gru", 3, {1, 0, 2}, {"Sigmoid", "Tanh"}};
  return {"rnn", 1, {0}, {"Tanh"}};
}

// Rows of direction d of an ONNX [D, G*H, cols] tensor (cols = 1 for biases) in NTP's gate order.
Tensor regrouped(const ConstTensor& onnx_tensor, std::int64_t d, std::int64_t hidden, std::int64_t cols,
                 const CellKind& kind, std::int64_t block_offset = 0) {
  const std::int64_t rows = kind.gates * hidden;
  Shape shape = cols == 1 ? Shape{rows} : Shape{rows, cols};
  Tensor out(shape, DType::f32);
  float* data = out.as<float>();
  const std::int64_t per_direction = onnx_tensor.count() / std::max<std::int64_t>(onnx_tensor.shape.at(0), 1);
  for (std::size_t k = 0; k < kind.onnx_block.size(); ++k) {
    const auto block = static_cast<std::int64_t>(kind.onnx_block[k]) + block_offset;
    for (std::int64_t i = 0; i < hidden * cols; ++i)
      data[static_cast<std::int64_t>(k) * hidden * cols + i] = static_cast<float>(
          onnx_tensor.real(static_cast<std::size_t>(d * per_direction + block * hidden * cols + i)));
  }
  return out;
}

bool all_zero(const ConstTensor& tensor) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(tensor.count()); ++i)
    if (tensor.real(i) != 0) return false;
  return true;
}

void check_supported(const ImportContext& ctx, const NodeProto& node, const CellKind& kind,
                     std::int64_t steps, std::int64_t directions) {
  if (ctx.attribute(node, "clip") != nullptr)
    ctx.fail(node, "cell clipping (clip) is not supported", "NTP's recurrent cells do not clip");
  if (ctx.attr_int(node, "input_forget", 0) != 0) ctx.fail(node, "input_forget=1 is not supported");
  if (kind.op == "gru" && ctx.attr_int(node, "linear_before_reset", 0) == 0)
    ctx.fail(node,
             "linear_before_reset=0 is not supported: NTP's gru applies the reset gate after the recurrent "
             "product (cuDNN's and PyTorch's form, ONNX's linear_before_reset=1)",
             "export the GRU with linear_before_reset=1 (PyTorch does)");
  const std::vector<std::string> activations = ctx.attr_strings(node, "activations");
  if (!activations.empty()) {
    const bool relu_rnn = kind.op == "rnn" && activations.front() == "Relu";
    for (std::size_t i = 0; i < activations.size(); ++i) {
      const std::string& expected = relu_rnn ? "Relu" : kind.activations[i % kind.activations.size()];
      if (activations[i] != expected)
        ctx.fail(node, fmt::format("activation {} is not supported", activations[i]),
                 kind.op == "rnn" ? "NTP's rnn computes Tanh or Relu"
                                  : "NTP's cells use ONNX's default activations");
    }
  }
  if (ctx.has_input(node, 4)) {
    const ConstTensor& lengths = ctx.constant_input(node, 4, "sequence_lens");
    for (std::size_t i = 0; i < static_cast<std::size_t>(lengths.count()); ++i)
      if (lengths.integer(i) != steps)
        ctx.fail(node, "sequences of different lengths (sequence_lens) are not supported",
                 "NTP runs every sequence of a batch for all T steps");
  }
  for (const int index : {5, 6}) {
    if (!ctx.has_input(node, index) || (index == 6 && kind.op != "lstm")) continue;
    if (!ctx.is_constant(node, index) || !all_zero(ctx.constant_input(node, index, "the initial state")))
      ctx.fail(node,
               fmt::format("a non-zero initial state ({}) is not supported",
                           index == 5 ? "initial_h" : "initial_c"),
               "NTP's recurrent layers start from zero");
  }
  if (kind.op == "lstm" && ctx.has_input(node, 7) &&
      (!ctx.is_constant(node, 7) || !all_zero(ctx.constant_input(node, 7, "the peepholes P"))))
    ctx.fail(node, "peephole connections (P) are not supported", "NTP's lstm has no peepholes");
  if (kind.op == "lstm" && ctx.output_used(node, 2))
    ctx.fail(node, "the final cell state Y_c is not supported", "NTP's lstm outputs the hidden states only");
  (void)directions;
}

// The k-th output value of the node just added.
int output_of_last(ImportContext& ctx, std::size_t k) {
  return ctx.graph().nodes.back().outputs.at(k);
}

// Part `index` of `value` split along `axis` into `sizes`.
int split_part(ImportContext& ctx, const NodeProto& node, const std::string& name, int value,
               std::int64_t axis, const std::vector<std::int64_t>& sizes, std::size_t index) {
  if (sizes.size() == 1) return value;
  Attributes attrs;
  attrs.set("axis", axis);
  attrs.set("sizes", sizes);
  ctx.add_op(node, name, "split", attrs, {value});
  return output_of_last(ctx, index);
}

int reshape(ImportContext& ctx, const NodeProto& node, const std::string& name, int value,
            const Shape& shape) {
  Attributes attrs;
  attrs.set("shape", std::vector<std::int64_t>(shape.begin(), shape.end()));
  return ctx.add_op(node, name, "reshape", attrs, {value});
}

int transpose(ImportContext& ctx, const NodeProto& node, const std::string& name, int value,
              std::vector<std::int64_t> perm) {
  Attributes attrs;
  attrs.set("perm", std::move(perm));
  return ctx.add_op(node, name, "transpose", attrs, {value});
}

// The nodes after Y that turn [T, D, N, H] into NTP's merged layout, as an exporter writes them: the
// merge they stand for and the tensor they end in; empty when Y is read otherwise.
struct MergeGroup {
  std::string merge;  // "concat" or "sum"
  std::string last;
  std::vector<const NodeProto*> nodes;
};

std::optional<MergeGroup> merge_group(const ImportContext& ctx, const NodeProto& node,
                                      std::int64_t directions, const Shape& merged) {
  const NodeProto* first = ctx.sole_consumer(node.output(0));
  if (first == nullptr || !first->domain().empty()) return std::nullopt;
  if (directions == 1 && first->op_type() == "Squeeze") {
    const auto axes = squeeze_axes(ctx, *first);
    if (axes == std::vector<std::int64_t>{1} || axes == std::vector<std::int64_t>{-3})
      return MergeGroup{"concat", first->output(0), {first}};
  }
  if (directions == 2 && first->op_type() == "ReduceSum" && ctx.attr_int(*first, "keepdims", 1) == 0) {
    const auto axes = ctx.opset() >= 13
                          ? (ctx.is_constant(*first, 1)
                                 ? std::vector<std::int64_t>{ctx.constant_input(*first, 1, "axes").integer(0)}
                                 : std::vector<std::int64_t>{})
                          : ctx.attr_ints(*first, "axes");
    if (axes == std::vector<std::int64_t>{1}) return MergeGroup{"sum", first->output(0), {first}};
  }
  if (directions == 2 && first->op_type() == "Transpose" &&
      ctx.attr_ints(*first, "perm") == std::vector<std::int64_t>{0, 2, 1, 3}) {
    const NodeProto* second = ctx.sole_consumer(first->output(0));
    if (second != nullptr && second->op_type() == "Reshape" && second->domain().empty() &&
        ctx.is_constant(*second, 1)) {
      const ConstTensor& target = ctx.constant_input(*second, 1, "shape");
      const Shape transposed = {merged[0], merged[1], 2, merged[2] / 2};
      std::vector<std::int64_t> dims;
      for (std::size_t i = 0; i < static_cast<std::size_t>(target.count()); ++i)
        dims.push_back(target.integer(i));
      if (reshaped_shape(ctx, *second, transposed, dims) == merged)
        return MergeGroup{"concat", second->output(0), {first, second}};
    }
  }
  return std::nullopt;
}

}  // namespace

void convert_recurrent(ImportContext& ctx, const NodeProto& node) {
  const CellKind kind = kind_of(node.op_type());
  int x = ctx.value_input(node, 0);
  const bool batch_first = ctx.attr_int(node, "layout", 0) != 0;
  const std::string base = node.output_size() > 0 && !node.output(0).empty() ? node.output(0)
                           : node.output_size() > 1                          ? node.output(1)
                                                                             : std::string("rnn");
  if (ctx.shape_of(x).size() != 3) ctx.fail(node, "X must be 3-D");
  if (batch_first) x = transpose(ctx, node, base + "/time_major", x, {1, 0, 2});
  const Shape input = ctx.shape_of(x);  // [T, N, I]
  const ConstTensor& w = ctx.constant_input(node, 1, "the input weights W");
  const ConstTensor& r = ctx.constant_input(node, 2, "the recurrent weights R");
  const std::string direction = ctx.attr_string(node, "direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    ctx.fail(node, fmt::format("unknown direction '{}'", direction));
  const std::int64_t directions = direction == "bidirectional" ? 2 : 1;
  const std::int64_t hidden = ctx.attr_int(node, "hidden_size", r.shape.size() == 3 ? r.shape[2] : 0);
  const std::int64_t rows = kind.gates * hidden;
  if (w.shape != Shape{directions, rows, input[2]} || r.shape != Shape{directions, rows, hidden})
    ctx.fail(node, fmt::format("W {} and R {} do not fit {} direction(s), hidden_size {} and input {}",
                               shape_to_string(w.shape), shape_to_string(r.shape), directions, hidden,
                               shape_to_string(input)));
  check_supported(ctx, node, kind, input[0], directions);
  std::optional<ConstTensor> bias;
  if (ctx.has_input(node, 3)) {
    bias = ctx.constant_input(node, 3, "the biases B");
    if (bias->shape != Shape{directions, 2 * rows})
      ctx.fail(node, fmt::format("B {} is not [{}, {}]", shape_to_string(bias->shape), directions, 2 * rows));
  }

  std::map<std::string, Tensor> weights;
  for (std::int64_t d = 0; d < directions; ++d) {
    const std::string tag = d == 1 || direction == "reverse" ? "_l0_reverse" : "_l0";
    weights["w_ih" + tag] = regrouped(w, d, hidden, input[2], kind);
    weights["w_hh" + tag] = regrouped(r, d, hidden, hidden, kind);
    Tensor input_bias = bias ? regrouped(*bias, d, hidden, 1, kind) : Tensor({rows}, DType::f32);
    Tensor recurrent_bias =
        bias ? regrouped(*bias, d, hidden, 1, kind, kind.gates) : Tensor({rows}, DType::f32);
    if (kind.op == "gru") {
      weights["b_ih" + tag] = input_bias;
      weights["b_hh" + tag] = recurrent_bias;
    } else {  // one bias per gate: the sum of ONNX's two
      for (std::int64_t i = 0; i < rows; ++i)
        input_bias.as<float>()[i] += recurrent_bias.as<float>()[i];
      weights["b" + tag] = input_bias;
    }
  }

  Attributes attrs;
  attrs.set("hidden", hidden);
  attrs.set("direction", direction);
  if (kind.op == "rnn") {
    const auto activations = ctx.attr_strings(node, "activations");
    attrs.set("activation",
              std::string(!activations.empty() && activations.front() == "Relu" ? "relu" : "tanh"));
  }
  const Shape merged = {input[0], input[1], directions * hidden};
  const std::optional<MergeGroup> group =
      batch_first || !ctx.output_used(node, 0) ? std::nullopt : merge_group(ctx, node, directions, merged);
  if (group) {
    attrs.set("merge", group->merge);
    for (const NodeProto* helper : group->nodes)
      ctx.mark_fused(helper);
  }
  const std::string name = group ? group->last : node.name().empty() ? base + "/" + kind.op : node.name();
  const int sequence = ctx.add_op(node, name, kind.op, attrs, {x}, weights);
  if (group) {
    ctx.define(group->last, sequence);
    if (!ctx.output_used(node, 1)) return;
  }

  const std::int64_t steps = input[0], batch = input[1];
  if (ctx.output_used(node, 0) && !group) {  // ONNX's Y: [T, D, N, H] (batch first: [N, T, D, H])
    int y = reshape(ctx, node, base + "/split_directions", sequence, {steps, batch, directions, hidden});
    if (batch_first)
      y = transpose(ctx, node, base, y, {1, 0, 2, 3});
    else if (directions == 1)
      y = reshape(ctx, node, base, y, {steps, 1, batch, hidden});
    else
      y = transpose(ctx, node, base, y, {0, 2, 1, 3});
    ctx.define(node.output(0), y);
  }
  if (ctx.output_used(node, 1)) {  // Y_h: the forward direction's last step, the reverse one's first
    const std::string& y_h = node.output(1);
    std::vector<int> finals;
    for (std::int64_t d = 0; d < directions; ++d) {
      const bool reverse = d == 1 || direction == "reverse";
      const std::vector<std::int64_t> sizes = steps == 1 ? std::vector<std::int64_t>{1}
                                              : reverse  ? std::vector<std::int64_t>{1, steps - 1}
                                                         : std::vector<std::int64_t>{steps - 1, 1};
      const int step =
          split_part(ctx, node, fmt::format("{}/step{}", y_h, d), sequence, 0, sizes, reverse ? 0 : 1);
      finals.push_back(split_part(ctx, node, fmt::format("{}/direction{}", y_h, d), step, 2,
                                  std::vector<std::int64_t>(static_cast<std::size_t>(directions), hidden),
                                  static_cast<std::size_t>(d)));
    }
    int state = finals.front();  // [1, N, H] per direction
    if (directions == 2) {
      Attributes concat;
      concat.set("axis", std::int64_t{0});
      state = ctx.add_op(node, batch_first ? y_h + "/stacked" : y_h, "concat", concat, finals);
    } else if (!batch_first) {
      state = reshape(ctx, node, y_h, state, {1, batch, hidden});
    }
    if (batch_first) state = transpose(ctx, node, y_h, state, {1, 0, 2});
    ctx.define(y_h, state);
  }
}

}  // namespace ntp::onnx_io
