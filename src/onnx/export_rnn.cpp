// lstm / gru / rnn as ONNX LSTM / GRU / RNN: one node per stacked layer (the first named after the layer,
// the others "name/layerK"), NTP's weights regrouped into ONNX's gate orders, and ONNX's output
// [T, D, N, H] turned into NTP's merged [T, N, D*H] (concat) or [T, N, H] (sum, one direction).
#include <fmt/format.h>

#include "export_builder.h"
#include "ntp/tensor.h"

namespace ntp::onnx_io {

namespace {

struct CellLayout {
  const char* onnx_op;
  // ONNX gate block b holds NTP gate block gate_order[b]: LSTM is i, o, f, c (NTP i, f, g, o); GRU is
  // z, r, h (NTP r, z, n).
  std::vector<std::size_t> gate_order;
};

CellLayout layout_of(const std::string& op) {
  if (op == "lstm") return {"LSTM", {0, 3, 1, 2}};
  if (op == "gru") return {"GRU", {1, 0, 2}};
  return {"RNN", {0}};
}

// Appends `matrix` ([G*H, columns], NTP gate order) to `out` with its gate blocks in ONNX order.
void append_regrouped(const Tensor& matrix, std::int64_t hidden, const std::vector<std::size_t>& gate_order,
                      std::vector<float>& out) {
  const std::int64_t block =
      hidden * (matrix.shape().size() > 1 ? matrix.shape()[1] : 1);  // elements in one gate block
  const float* data = matrix.as<float>();
  for (const std::size_t gate : gate_order) {
    const float* begin = data + static_cast<std::int64_t>(gate) * block;
    out.insert(out.end(), begin, begin + block);
  }
}

}  // namespace

void emit_recurrent(const EmitContext& ctx) {
  ModelBuilder& model = ctx.model;
  const Attributes& attrs = ctx.node.attrs;
  const CellLayout layout = layout_of(ctx.node.op);
  const std::int64_t hidden = attrs.integer("hidden");
  const std::int64_t layers = attrs.integer("layers");
  const std::string& direction = attrs.text("direction");
  const bool bidirectional = direction == "bidirectional";
  const bool sum = bidirectional && attrs.text("merge") == "sum";
  const auto gates = static_cast<std::int64_t>(layout.gate_order.size());
  std::vector<std::string> suffixes;
  if (direction != "reverse") suffixes.emplace_back("");
  if (direction != "forward") suffixes.emplace_back("_reverse");
  const auto directions = static_cast<std::int64_t>(suffixes.size());
  const float forget_bias = ctx.node.op == "lstm" ? static_cast<float>(attrs.real("forget_bias")) : 0.0F;

  std::string sequence = ctx.input(0);
  std::int64_t input_size = ctx.input_shape(0).at(2);
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    const std::string prefix = layer == 0 ? ctx.node.name : ctx.part(fmt::format("layer{}", layer));
    auto part = [&](const std::string& suffix) { return prefix + "/" + suffix; };
    std::vector<float> w, r, b;
    for (const std::string& suffix : suffixes) {
      const std::string tag = fmt::format("_l{}{}", layer, suffix);
      append_regrouped(ctx.weight("w_ih" + tag), hidden, layout.gate_order, w);
      append_regrouped(ctx.weight("w_hh" + tag), hidden, layout.gate_order, r);
      // ONNX has an input bias Wb and a recurrent bias Rb; NTP's lstm and rnn have one bias (Rb = 0),
      // its gru both (linear_before_reset, as ONNX's linear_before_reset=1).
      std::vector<float> input_bias, recurrent_bias;
      if (ctx.node.op == "gru") {
        append_regrouped(ctx.weight("b_ih" + tag), hidden, layout.gate_order, input_bias);
        append_regrouped(ctx.weight("b_hh" + tag), hidden, layout.gate_order, recurrent_bias);
      } else {
        append_regrouped(ctx.weight("b" + tag), hidden, layout.gate_order, input_bias);
        recurrent_bias.assign(input_bias.size(), 0.0F);
      }
      if (forget_bias != 0.0F)  // ONNX's forget gate is block 2 (i, o, f, c)
        for (std::int64_t j = 0; j < hidden; ++j)
          input_bias[static_cast<std::size_t>(2 * hidden + j)] += forget_bias;
      b.insert(b.end(), input_bias.begin(), input_bias.end());
      b.insert(b.end(), recurrent_bias.begin(), recurrent_bias.end());
    }
    const std::string& w_name = model.floats(part("W"), {directions, gates * hidden, input_size}, w);
    const std::string& r_name = model.floats(part("R"), {directions, gates * hidden, hidden}, r);
    const std::string& b_name = model.floats(part("B"), {directions, 2 * gates * hidden}, b);

    const std::string name = layer == 0 ? ctx.node.name : prefix;
    onnx::NodeProto& cell = model.node(layout.onnx_op, name, {sequence, w_name, r_name, b_name}, {part("Y")});
    set_attr(cell, "hidden_size", hidden);
    set_attr(cell, "direction", direction);
    if (ctx.node.op == "gru") set_attr(cell, "linear_before_reset", std::int64_t{1});
    if (ctx.node.op == "rnn") {
      const std::string activation = attrs.text("activation") == "relu" ? "Relu" : "Tanh";
      set_attr(cell, "activations",
               std::vector<std::string>(static_cast<std::size_t>(directions), activation));
    }

    // [T, D, N, H] -> [T, N, D*H] or [T, N, H]; the last layer's merged output is the NTP value.
    const bool last = layer + 1 == layers;
    const std::string merged = last ? ctx.output(0) : part("merged");
    if (sum) {
      onnx::NodeProto& reduce =
          model.node("ReduceSum", part("sum"), {part("Y"), model.int64s(part("sum_axes"), {1})}, {merged});
      set_attr(reduce, "keepdims", std::int64_t{0});
    } else if (directions == 1) {
      model.node("Squeeze", part("squeeze"), {part("Y"), model.int64s(part("squeeze_axes"), {1})}, {merged});
    } else {
      set_attr(model.node("Transpose", part("transpose"), {part("Y")}, {part("Y_t")}), "perm",
               std::vector<std::int64_t>{0, 2, 1, 3});
      model.node("Reshape", part("concat"), {part("Y_t"), model.int64s(part("concat_shape"), {0, 0, -1})},
                 {merged});
    }
    sequence = merged;
    input_size = sum || directions == 1 ? hidden : directions * hidden;
  }
}

}  // namespace ntp::onnx_io
