// Recurrent layers: lstm, gru and vanilla rnn, time-major [T, N, C], optionally bidirectional and stacked.
#include "families.h"
#include "op_helpers.h"

namespace ntp::ops {

namespace {

struct RnnKind {
  const char* name;
  std::int64_t gates;
  double elementwise_per_hidden;  // FLOPs per hidden unit per step outside the matrix products
  bool two_biases;                // gru: separate input and hidden biases (linear before reset)
};

std::int64_t directions(const Attributes& attrs) {
  return attrs.text("direction") == "bidirectional" ? 2 : 1;
}

std::int64_t output_width(const Attributes& attrs) {
  const std::int64_t hidden = attrs.integer("hidden");
  return directions(attrs) == 2 && attrs.text("merge") == "concat" ? checked_mul(2, hidden, "2 * hidden")
                                                                   : hidden;
}

std::vector<std::string> direction_suffixes(const Attributes& attrs) {
  const std::string& direction = attrs.text("direction");
  if (direction == "bidirectional") return {"", "_reverse"};
  if (direction == "reverse") return {"_reverse"};
  return {""};
}

OpSchema recurrent(const RnnKind& kind, const std::string& summary) {
  OpSchema op;
  op.name = kind.name;
  op.family = "rnn";
  op.summary = summary;
  op.layout = "[T, N, C] (time-major)";
  op.attrs = {required_integer("hidden", "hidden units per direction"),
              text_attr("direction", "forward", "direction of the recurrence",
                        {"forward", "reverse", "bidirectional"}),
              text_attr("merge", "concat", "how a bidirectional layer combines its two directions",
                        {"concat", "sum"}),
              integer_attr("layers", 1, "stacked layers; layer l > 0 takes layer l-1's merged output")};
  if (std::string(kind.name) == "rnn")
    op.attrs.push_back(text_attr("activation", "tanh", "the cell's activation", {"tanh", "relu"}));
  if (std::string(kind.name) == "lstm")
    op.attrs.push_back(
        real_attr("forget_bias", 0.0, "added to the forget gate (TensorFlow's BasicLSTMCell uses 1)"));
  op.infer = [kind](const OpContext& ctx) {
    expect_rank(ctx.in(0), 3, 3, fmt::format("{} input [T, N, C]", kind.name));
    const std::int64_t hidden = ctx.attrs.integer("hidden");
    const std::int64_t layers = ctx.attrs.integer("layers");
    expect_positive(hidden, "hidden");
    expect_positive(layers, "layers");
    InferResult result;
    const Shape& input = ctx.in(0);
    result.outputs.push_back({{input[0], input[1], output_width(ctx.attrs)}, ctx.inputs[0]->dtype});
    const std::int64_t gate_rows = checked_mul(kind.gates, hidden, "gates * hidden");
    for (std::int64_t layer = 0; layer < layers; ++layer) {
      const std::int64_t in = layer == 0 ? input[2] : output_width(ctx.attrs);
      for (const std::string& suffix : direction_suffixes(ctx.attrs)) {
        const std::string tag = fmt::format("_l{}{}", layer, suffix);
        const Distribution init = fan_in_uniform(hidden);
        result.weights.push_back({"w_ih" + tag, {gate_rows, in}, init});
        result.weights.push_back({"w_hh" + tag, {gate_rows, hidden}, init});
        if (kind.two_biases) {
          result.weights.push_back({"b_ih" + tag, {gate_rows}, init});
          result.weights.push_back({"b_hh" + tag, {gate_rows}, init});
        } else {
          result.weights.push_back({"b" + tag, {gate_rows}, init});
        }
      }
    }
    return result;
  };
  op.cost = [kind](const OpContext& ctx) {
    const Shape& input = ctx.in(0);
    const double steps = static_cast<double>(input[0]);
    const double batch = static_cast<double>(input[1]);
    const double hidden = static_cast<double>(ctx.attrs.integer("hidden"));
    const double gates = static_cast<double>(kind.gates);
    const auto layers = ctx.attrs.integer("layers");
    const double dirs = static_cast<double>(directions(ctx.attrs));
    double flops = 0;
    double recurrent_weights = 0;
    for (std::int64_t layer = 0; layer < layers; ++layer) {
      const double in = static_cast<double>(layer == 0 ? input[2] : output_width(ctx.attrs));
      flops += dirs * steps *
               (2 * batch * gates * hidden * (in + hidden) + batch * gates * hidden +
                kind.elementwise_per_hidden * batch * hidden);
      recurrent_weights += dirs * gates * hidden * hidden;
    }
    Cost cost = default_cost(ctx, flops);
    // The sequential dependency forces the recurrent weights to be read again at every step, and at
    // realistic sizes they do not stay in cache: this is what makes an LSTM memory bound at small batch.
    cost.bytes_read += (steps - 1) * recurrent_weights * static_cast<double>(dtype_size(ctx.weight_dtype));
    return cost;
  };
  return op;
}

}  // namespace

std::vector<OpSchema> rnn_ops() {
  return {
      recurrent(
          {"lstm", 4, 9, false},
          "Long short-term memory. Weights per layer l and direction: w_ih_l{l}[_reverse] [4H, I], "
          "w_hh_l{l}[_reverse] [4H, H] and one bias b_l{l}[_reverse] [4H] per gate (TensorFlow's "
          "BasicLSTMCell), gate order i, f, g, o. Output [T, N, 2H] for a bidirectional layer with merge "
          "concat (forward first), else [T, N, H]. FLOPs per step and direction: 2*N*4H*(I+H) for the "
          "matrix products, 4*N*H bias, 9*N*H for activations and the cell update. Bytes count the "
          "recurrent weights w_hh once per time step (the default bytes plus (T-1) re-reads)."),
      recurrent(
          {"gru", 3, 10, true},
          "Gated recurrent unit in the linear-before-reset form of cuDNN and PyTorch: r = sigmoid(W_ir x + "
          "b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in + r*(W_hn h + b_hn)), h' = (1-z)*n + "
          "z*h. Weights w_ih [3H, I], w_hh [3H, H], b_ih [3H], b_hh [3H] per layer and direction, gate "
          "order r, z, n. Output and cost as lstm, with 3 gates."),
      recurrent({"rnn", 1, 1, false},
                "Vanilla recurrent layer: h' = act(W_ih x + W_hh h + b). Weights w_ih [H, I], w_hh [H, H], "
                "b [H] per layer and direction. Output and cost as lstm, with 1 gate."),
  };
}

}  // namespace ntp::ops
