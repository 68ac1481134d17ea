// Recurrent kernels, time-major [T, N, C]: lstm, gru and a vanilla rnn; forward, reverse or bidirectional
// (directions concatenated, forward first, or summed), stacked layers. Initial states are zero, except
// when streaming: then a forward layer starts each chunk from the state the previous chunk ended in.
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "kernels.h"

namespace ntp::reference {

namespace {

enum class Cell { lstm, gru, rnn };

// The weights of one layer and direction, transposed so that the products stream rows:
// input projections x[N, I] * w_ih_t[I, G*H], recurrent ones h[N, H] * w_hh_t[H, G*H].
struct DirectionWeights {
  std::vector<float> w_ih_t;  // [I, G*H]
  std::vector<float> w_hh_t;  // [H, G*H]
  std::vector<float> b_ih;    // [G*H]: lstm and rnn keep their single bias here
  std::vector<float> b_hh;    // [G*H]: gru's hidden bias; zeros otherwise
  bool reverse = false;
};

struct RnnConfig {
  Cell cell = Cell::lstm;
  std::int64_t steps = 0, batch = 0, input = 0, hidden = 0, gates = 1, layers = 1;
  bool sum_directions = false;
  bool relu = false;  // rnn activation
  float forget_bias = 0;
  std::vector<std::vector<DirectionWeights>> weights;  // [layer][direction]
};

std::vector<float> copy_of(const Tensor& tensor) {
  return std::vector<float>(tensor.as<float>(), tensor.as<float>() + tensor.elements());
}

// The hidden (and lstm cell) state of one layer and direction, [N, H] each.
struct RecurrentState {
  std::vector<float> h, c;
};

// Runs one direction of one layer over the whole sequence x [T, N, I] from `state`, which it leaves as
// the last step did; returns h for every step [T, N, H].
std::vector<float> run_direction(const RnnConfig& config, const DirectionWeights& w,
                                 const std::vector<float>& x, std::int64_t input_size,
                                 RecurrentState& state) {
  const std::int64_t T = config.steps, N = config.batch, H = config.hidden, G = config.gates;
  const std::int64_t GH = G * H;

  // Input projections for every step at once: gi[t, n, :] = b_ih + x[t, n, :] W_ih^T.
  std::vector<float> gi(to_size(T * N * GH));
  for (std::int64_t row = 0; row < T * N; ++row)
    std::copy(w.b_ih.begin(), w.b_ih.end(), gi.begin() + row * GH);
  matmul_accumulate(T * N, input_size, GH, x.data(), w.w_ih_t.data(), gi.data());

  std::vector<float> output(to_size(T * N * H));
  std::vector<float>& h = state.h;
  std::vector<float>& c = state.c;  // lstm cell state
  std::vector<float> gh(to_size(N * GH));
  for (std::int64_t step = 0; step < T; ++step) {
    const std::int64_t t = w.reverse ? T - 1 - step : step;
    // Recurrent projections: gh[n, :] = b_hh + h[n, :] W_hh^T.
    for (std::int64_t n = 0; n < N; ++n)
      std::copy(w.b_hh.begin(), w.b_hh.end(), gh.begin() + n * GH);
    matmul_accumulate(N, H, GH, h.data(), w.w_hh_t.data(), gh.data());
    for (std::int64_t n = 0; n < N; ++n) {
      const float* x_gates = gi.data() + (t * N + n) * GH;
      const float* h_gates = gh.data() + n * GH;
      for (std::int64_t j = 0; j < H; ++j) {
        float& h_nj = h[to_size(n * H + j)];
        switch (config.cell) {
          case Cell::lstm: {  // gate order i, f, g, o
            const float i = sigmoid(x_gates[j] + h_gates[j]);
            const float f = sigmoid(x_gates[H + j] + h_gates[H + j] + config.forget_bias);
            const float g = std::tanh(x_gates[2 * H + j] + h_gates[2 * H + j]);
            const float o = sigmoid(x_gates[3 * H + j] + h_gates[3 * H + j]);
            float& c_nj = c[to_size(n * H + j)];
            c_nj = f * c_nj + i * g;
            h_nj = o * std::tanh(c_nj);
            break;
          }
          case Cell::gru: {  // gate order r, z, n; the reset gate applies to W_hn h + b_hn
            const float r = sigmoid(x_gates[j] + h_gates[j]);
            const float z = sigmoid(x_gates[H + j] + h_gates[H + j]);
            const float candidate = std::tanh(x_gates[2 * H + j] + r * h_gates[2 * H + j]);
            h_nj = (1.0F - z) * candidate + z * h_nj;
            break;
          }
          case Cell::rnn: {
            const float pre = x_gates[j] + h_gates[j];
            h_nj = config.relu ? std::max(pre, 0.0F) : std::tanh(pre);
            break;
          }
        }
      }
    }
    std::copy(h.begin(), h.end(), output.begin() + t * N * H);
  }
  return output;
}

RunFunction make_recurrent(const NodeView& node, Cell cell) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  if (in.size() != 3) node.fail("input must be time-major [T, N, C]");
  auto config = std::make_shared<RnnConfig>();
  config->cell = cell;
  config->steps = in[0];
  config->batch = in[1];
  config->input = in[2];
  config->hidden = node.attrs().integer("hidden");
  config->gates = cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1;
  config->layers = node.attrs().integer("layers");
  const std::string& direction = node.attrs().text("direction");
  const bool bidirectional = direction == "bidirectional";
  config->sum_directions = bidirectional && node.attrs().text("merge") == "sum";
  if (cell == Cell::rnn) config->relu = node.attrs().text("activation") == "relu";
  if (cell == Cell::lstm) config->forget_bias = static_cast<float>(node.attrs().real("forget_bias"));
  const std::int64_t H = config->hidden;
  const std::int64_t merged_width = bidirectional && !config->sum_directions ? 2 * H : H;
  node.expect_output_shape(0, {in[0], in[1], merged_width});

  std::vector<std::string> suffixes;
  if (direction == "forward" || bidirectional) suffixes.emplace_back("");
  if (direction == "reverse" || bidirectional) suffixes.emplace_back("_reverse");
  if (suffixes.empty()) node.fail(fmt::format("unknown direction '{}'", direction));

  const std::int64_t GH = config->gates * H;
  for (std::int64_t layer = 0; layer < config->layers; ++layer) {
    const std::int64_t input_size = layer == 0 ? config->input : merged_width;
    std::vector<DirectionWeights> directions;
    for (const std::string& suffix : suffixes) {
      const std::string tag = fmt::format("_l{}{}", layer, suffix);
      DirectionWeights w;
      w.reverse = suffix == "_reverse";
      w.w_ih_t = transposed(node.weight("w_ih" + tag).as<float>(), GH, input_size);
      w.w_hh_t = transposed(node.weight("w_hh" + tag).as<float>(), GH, H);
      if (cell == Cell::gru) {
        w.b_ih = copy_of(node.weight("b_ih" + tag));
        w.b_hh = copy_of(node.weight("b_hh" + tag));
      } else {
        w.b_ih = copy_of(node.weight("b" + tag));
        w.b_hh.assign(to_size(GH), 0.0F);
      }
      directions.push_back(std::move(w));
    }
    config->weights.push_back(std::move(directions));
  }

  // Initial states are zero; streaming carries the last step's state into the next chunk instead.
  auto zero_states = [config] {
    const auto size = to_size(config->batch * config->hidden);
    std::vector<std::vector<RecurrentState>> states;
    for (const auto& layer : config->weights)
      states.emplace_back(layer.size(), RecurrentState{std::vector<float>(size), std::vector<float>(size)});
    return states;
  };
  auto carried = std::make_shared<std::vector<std::vector<RecurrentState>>>(zero_states());
  if (node.streaming()) {
    if (bidirectional || direction == "reverse")
      node.fail(
          fmt::format("a {} {} needs the whole sequence, so it cannot stream", direction, node.node().op));
    node.on_stream_reset([carried, zero_states] { *carried = zero_states(); });
  }
  const bool streaming = node.streaming();

  return [config, merged_width, carried, zero_states, streaming](std::span<const Tensor* const> inputs,
                                                                 std::span<Tensor* const> outputs) {
    const RnnConfig& cfg = *config;
    std::vector<std::vector<RecurrentState>> fresh;
    if (!streaming) fresh = zero_states();
    auto& states = streaming ? *carried : fresh;
    const std::int64_t rows = cfg.steps * cfg.batch;  // (t, n) pairs
    const std::int64_t hidden = cfg.hidden;
    std::vector<float> sequence(inputs[0]->as<float>(), inputs[0]->as<float>() + rows * cfg.input);
    std::int64_t width = cfg.input;
    for (std::size_t l = 0; l < cfg.weights.size(); ++l) {
      const auto& layer = cfg.weights[l];
      std::vector<float> merged(to_size(rows * merged_width), 0.0F);
      for (std::size_t d = 0; d < layer.size(); ++d) {
        const std::vector<float> h = run_direction(cfg, layer[d], sequence, width, states[l][d]);
        for (std::int64_t row = 0; row < rows; ++row) {
          for (std::int64_t j = 0; j < hidden; ++j) {
            const float value = h[to_size(row * hidden + j)];
            if (cfg.sum_directions)
              merged[to_size(row * merged_width + j)] += value;
            else
              merged[to_size(row * merged_width + static_cast<std::int64_t>(d) * hidden + j)] = value;
          }
        }
      }
      sequence = std::move(merged);
      width = merged_width;
    }
    std::copy(sequence.begin(), sequence.end(), outputs[0]->as<float>());
  };
}

RunFunction make_lstm(const NodeView& node) {
  return make_recurrent(node, Cell::lstm);
}
RunFunction make_gru(const NodeView& node) {
  return make_recurrent(node, Cell::gru);
}
RunFunction make_rnn(const NodeView& node) {
  return make_recurrent(node, Cell::rnn);
}

}  // namespace

std::vector<KernelEntry> rnn_kernels() {
  return {{"lstm", make_lstm}, {"gru", make_gru}, {"rnn", make_rnn}};
}

}  // namespace ntp::reference
