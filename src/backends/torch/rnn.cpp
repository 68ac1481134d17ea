// lstm, gru and rnn through at::lstm / at::gru / at::rnn_tanh / at::rnn_relu. NTP's weights already have
// PyTorch's layout and gate order ([G*H, I] gate-major; lstm i, f, g, o; gru r, z, n with the reset gate on
// W_hn h + b_hn); lstm's single bias, with forget_bias folded in, becomes b_ih and b_hh is zero.
// Forward and bidirectional-concat layers run as one call over every stacked layer; a reverse-only layer
// runs forward on the time-flipped sequence, and summed directions run layer by layer (the next layer takes
// H inputs, not PyTorch's 2H).
#include <c10/core/InferenceMode.h>

#include "common.h"

namespace ntp::libtorch {

std::vector<std::string> direction_suffixes(const Attributes& attrs) {
  const std::string& direction = attrs.text("direction");
  if (direction == "bidirectional") return {"", "_reverse"};
  if (direction == "reverse") return {"_reverse"};
  return {""};
}

Recurrence recurrence_of(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  Recurrence shape;
  shape.op = node.op;
  shape.hidden = node.attrs.integer("hidden");
  shape.layers = node.attrs.integer("layers");
  const std::string& direction = node.attrs.text("direction");
  shape.directions = direction == "bidirectional" ? 2 : 1;
  shape.reverse = direction == "reverse";
  shape.sum = shape.directions == 2 && node.attrs.text("merge") == "sum";
  shape.streaming = options.streaming;
  shape.type = scalar_type(io_type(options.precision));
  if (shape.streaming && direction != "forward")
    throw UserError(node.where,
                    fmt::format("a {} {} needs the whole sequence, so it cannot stream", direction, node.op));
  return shape;
}

std::unique_ptr<Kernel> make_recurrent_kernel(const Graph& graph, int node_index, DType io,
                                              const Recurrence& shape, StackCall call,
                                              const std::string& implementation) {
  const Node& node = node_at(graph, node_index);
  const std::int64_t batch = input_value(graph, node_index, 0).shape.at(1);
  const std::size_t state_count = shape.op == "lstm" ? 2 : 1;
  // Zero initial states [layers * D, N, H]; streaming overwrites them with each run's final states.
  auto states = std::make_shared<std::vector<at::Tensor>>();
  for (std::size_t s = 0; s < state_count; ++s)
    states->push_back(at::zeros({shape.layers * shape.directions, batch, shape.hidden}, shape.type));
  const bool one_call = !shape.reverse && !shape.sum;
  auto kernel = std::make_unique<TorchKernel>(
      node, io,
      [=](const std::vector<at::Tensor>& inputs, at::Tensor& output) {
        if (one_call) {
          const std::vector<at::Tensor> result =
              call(inputs[0], *states, 0, shape.layers, shape.directions == 2);
          output.copy_(result[0]);
          if (shape.streaming)
            for (std::size_t s = 0; s < state_count; ++s)
              (*states)[s].copy_(result[1 + s]);
          return;
        }
        at::Tensor sequence = inputs[0];
        for (std::int64_t layer = 0; layer < shape.layers; ++layer) {
          std::vector<at::Tensor> hx;
          for (const at::Tensor& state : *states)
            hx.push_back(state.narrow(0, layer * shape.directions, shape.directions));
          const at::Tensor x = shape.reverse ? sequence.flip(0) : sequence;
          at::Tensor y = call(x, hx, layer, 1, shape.directions == 2)[0];
          if (shape.reverse) y = y.flip(0);
          if (shape.sum) y = y.narrow(2, 0, shape.hidden) + y.narrow(2, shape.hidden, shape.hidden);
          sequence = y;
        }
        output.copy_(sequence);
      },
      implementation);
  if (shape.streaming)
    kernel->on_stream_reset([states] {
      c10::InferenceMode inference;
      for (at::Tensor& state : *states)
        state.zero_();
    });
  return kernel;
}

std::unique_ptr<Kernel> make_rnn(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = node_at(graph, node_index);
  const Recurrence shape = recurrence_of(graph, node_index, options);
  const std::int64_t gate_rows = (node.op == "lstm" ? 4 : node.op == "gru" ? 3 : 1) * shape.hidden;
  // Per layer and direction: w_ih, w_hh, b_ih, b_hh, converted to the run's type once.
  std::vector<at::Tensor> params;
  for (std::int64_t layer = 0; layer < shape.layers; ++layer) {
    for (const std::string& suffix : direction_suffixes(node.attrs)) {
      const std::string tag = fmt::format("_l{}{}", layer, suffix);
      auto parameter = [&](const std::string& name) {
        return weight(graph, node_index, options, name + tag, at::kFloat);
      };
      at::Tensor b_ih, b_hh;
      if (node.op == "gru") {
        b_ih = parameter("b_ih");
        b_hh = parameter("b_hh");
      } else {
        b_ih = parameter("b");
        b_hh = at::zeros({gate_rows});
        if (node.op == "lstm")
          b_ih.narrow(0, shape.hidden, shape.hidden).add_(node.attrs.real("forget_bias"));
      }
      for (const at::Tensor& tensor : {parameter("w_ih"), parameter("w_hh"), b_ih, b_hh})
        params.push_back(tensor.to(shape.type));
    }
  }
  const std::string op = node.op;
  const bool relu = op == "rnn" && node.attrs.text("activation") == "relu";
  const std::int64_t directions = shape.directions;
  StackCall call = [params, op, relu, directions](const at::Tensor& x, const std::vector<at::Tensor>& hx,
                                                  std::int64_t first_layer, std::int64_t layer_count,
                                                  bool bidirectional) -> std::vector<at::Tensor> {
    const auto per_layer = static_cast<std::size_t>(4 * directions);
    const at::TensorList layer_params(params.data() + static_cast<std::size_t>(first_layer) * per_layer,
                                      static_cast<std::size_t>(layer_count) * per_layer);
    if (op == "lstm") {
      auto [y, h, c] = at::lstm(x, hx, layer_params, true, layer_count, 0.0, false, bidirectional, false);
      return {y, h, c};
    }
    auto [y, h] =
        op == "gru" ? at::gru(x, hx[0], layer_params, true, layer_count, 0.0, false, bidirectional, false)
        : relu ? at::rnn_relu(x, hx[0], layer_params, true, layer_count, 0.0, false, bidirectional, false)
               : at::rnn_tanh(x, hx[0], layer_params, true, layer_count, 0.0, false, bidirectional, false);
    return {y, h};
  };
  const std::string name = op == "rnn" ? (relu ? "rnn_relu" : "rnn_tanh") : op;
  return make_recurrent_kernel(graph, node_index, io_type(options.precision), shape, std::move(call),
                               fmt::format("aten::{} ({})", name, gemm_library(shape.type)));
}

}  // namespace ntp::libtorch
