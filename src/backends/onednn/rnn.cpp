// lstm, gru (linear-before-reset) and vanilla rnn: one oneDNN RNN primitive per stacked layer, on plain
// ldigo weights. With format_tag::any oneDNN 2.6 picks a brgemm LSTM that is 3-4x slower here at batch 1
// (shared DEPENDENCIES notes, DeepSpeech v0.1 BiLSTM); bench/ measures the end-to-end result.
#include <array>

#include "common.h"

namespace ntp::onednn {

namespace {

struct Cell {
  std::size_t gates;
  std::array<std::size_t, 4> pytorch_gate;  // oneDNN gate g is the schema's gate pytorch_gate[g]
};

Cell cell_of(const std::string& op) {
  if (op == "lstm") return {4, {0, 1, 2, 3}};  // i, f, g, o in both
  if (op == "gru") return {3, {1, 0, 2, 0}};   // oneDNN u, r, o = schema z, r, n
  return {1, {0, 0, 0, 0}};
}

dnnl::rnn_direction direction_of(const Attributes& attrs) {
  const std::string& direction = attrs.text("direction");
  if (direction == "reverse") return dnnl::rnn_direction::unidirectional_right2left;
  if (direction == "forward") return dnnl::rnn_direction::unidirectional_left2right;
  return attrs.text("merge") == "sum" ? dnnl::rnn_direction::bidirectional_sum
                                      : dnnl::rnn_direction::bidirectional_concat;
}

std::vector<std::string> suffixes(const Attributes& attrs) {
  const std::string& direction = attrs.text("direction");
  if (direction == "bidirectional") return {"", "_reverse"};
  if (direction == "reverse") return {"_reverse"};
  return {""};
}

const Tensor& weight(const Graph& graph, int node, const CompileOptions& options, const std::string& name) {
  return options.weights->at({graph.nodes[static_cast<std::size_t>(node)].name, name});
}

}  // namespace

std::unique_ptr<Kernel> make_rnn(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Cell cell = cell_of(node.op);
  const Shape& in = input_value(graph, node_index, 0).shape;
  const memory::dim steps = in[0];
  const memory::dim batch = in[1];
  const memory::dim hidden = node.attrs.integer("hidden");
  const memory::dim gates = static_cast<memory::dim>(cell.gates);
  const auto directions = suffixes(node.attrs);
  const auto D = static_cast<memory::dim>(directions.size());
  const memory::dim out_width = output_value(graph, node_index, 0).shape[2];
  const DType io = io_type(options.precision);
  const auto type = data_type(io);
  const auto layers = node.attrs.integer("layers");
  auto kernel = std::make_unique<PrimitiveKernel>(io, 1, 1);

  memory previous;  // the previous layer's output
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    const memory::dim inputs = layer == 0 ? in[2] : out_width;
    const bool last = layer + 1 == layers;
    const memory::desc src({steps, batch, inputs}, type, memory::format_tag::tnc);
    const memory::desc dst({steps, batch, out_width}, type, memory::format_tag::tnc);
    const memory::desc weights_layer({1, D, inputs, gates, hidden}, type, memory::format_tag::ldigo);
    const memory::desc weights_iter({1, D, hidden, gates, hidden}, type, memory::format_tag::ldigo);
    const memory::dim bias_gates =
        node.op == "gru" ? 4 : gates;  // lbr_gru has an extra bias for the candidate
    const memory::desc bias({1, D, bias_gates, hidden}, memory::data_type::f32, memory::format_tag::ldgo);

    // Repack [G*H, I] gate-major matrices into ldigo, in oneDNN's gate order.
    std::vector<float> wl(static_cast<std::size_t>(D * inputs * gates * hidden));
    std::vector<float> wi(static_cast<std::size_t>(D * hidden * gates * hidden));
    std::vector<float> b(static_cast<std::size_t>(D * bias_gates * hidden), 0.0F);
    for (memory::dim d = 0; d < D; ++d) {
      const std::string tag = fmt::format("_l{}{}", layer, directions[static_cast<std::size_t>(d)]);
      const float* w_ih = weight(graph, node_index, options, "w_ih" + tag).as<float>();
      const float* w_hh = weight(graph, node_index, options, "w_hh" + tag).as<float>();
      for (memory::dim g = 0; g < gates; ++g) {
        const auto source_gate = static_cast<memory::dim>(cell.pytorch_gate[static_cast<std::size_t>(g)]);
        for (memory::dim h = 0; h < hidden; ++h) {
          const memory::dim row = source_gate * hidden + h;
          for (memory::dim i = 0; i < inputs; ++i)
            wl[static_cast<std::size_t>(((d * inputs + i) * gates + g) * hidden + h)] =
                w_ih[row * inputs + i];
          for (memory::dim i = 0; i < hidden; ++i)
            wi[static_cast<std::size_t>(((d * hidden + i) * gates + g) * hidden + h)] =
                w_hh[row * hidden + i];
        }
      }
      float* bias_d = b.data() + d * bias_gates * hidden;
      if (node.op == "gru") {
        const float* b_ih = weight(graph, node_index, options, "b_ih" + tag).as<float>();
        const float* b_hh = weight(graph, node_index, options, "b_hh" + tag).as<float>();
        for (memory::dim h = 0; h < hidden; ++h) {
          bias_d[0 * hidden + h] = b_ih[1 * hidden + h] + b_hh[1 * hidden + h];  // u = z
          bias_d[1 * hidden + h] = b_ih[0 * hidden + h] + b_hh[0 * hidden + h];  // r
          bias_d[2 * hidden + h] = b_ih[2 * hidden + h];                         // o = n, input part
          bias_d[3 * hidden + h] = b_hh[2 * hidden + h];                         // n, hidden part (inside r*)
        }
      } else {
        const float* source = weight(graph, node_index, options, "b" + tag).as<float>();
        for (memory::dim j = 0; j < gates * hidden; ++j)
          bias_d[j] = source[j];
        if (node.op == "lstm")
          for (memory::dim h = 0; h < hidden; ++h)
            bias_d[hidden + h] += static_cast<float>(node.attrs.real("forget_bias"));
      }
    }
    auto owned = [&](std::vector<float>& values, const memory::desc& desc) {
      const auto tag = desc.dims().size() == 5 ? memory::format_tag::ldigo : memory::format_tag::ldgo;
      memory f32({desc.dims(), memory::data_type::f32, tag}, context().engine, values.data());
      return reordered(f32, desc);
    };
    const memory weights_layer_memory = owned(wl, weights_layer);
    const memory weights_iter_memory = owned(wi, weights_iter);
    const memory bias_memory = owned(b, bias);

    memory src_memory;
    if (layer == 0) {
      kernel->bind_input(0, src);
      src_memory = kernel->input(0);
    } else {
      src_memory = previous;
    }
    memory dst_memory;
    if (last) {
      kernel->bind_output(0, dst);
      dst_memory = kernel->output(0);
    } else {
      dst_memory = memory(dst, context().engine);
    }
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto direction = direction_of(node.attrs);
    std::unordered_map<int, memory> arguments = {{DNNL_ARG_SRC_LAYER, src_memory},
                                                 {DNNL_ARG_WEIGHTS_LAYER, weights_layer_memory},
                                                 {DNNL_ARG_WEIGHTS_ITER, weights_iter_memory},
                                                 {DNNL_ARG_BIAS, bias_memory},
                                                 {DNNL_ARG_DST_LAYER, dst_memory}};
    const memory::desc none;
    if (node.op == "lstm") {
      const dnnl::lstm_forward::primitive_desc pd(
          {prop, direction, src, none, none, weights_layer, weights_iter, bias, dst, none, none},
          context().engine);
      kernel->add(dnnl::lstm_forward(pd), std::move(arguments), pd.impl_info_str());
    } else if (node.op == "gru") {
      const dnnl::lbr_gru_forward::primitive_desc pd(
          {prop, direction, src, none, weights_layer, weights_iter, bias, dst, none}, context().engine);
      kernel->add(dnnl::lbr_gru_forward(pd), std::move(arguments), pd.impl_info_str());
    } else {
      const auto activation = node.attrs.text("activation") == "relu" ? dnnl::algorithm::eltwise_relu
                                                                      : dnnl::algorithm::eltwise_tanh;
      const dnnl::vanilla_rnn_forward::primitive_desc pd(
          {prop, activation, direction, src, none, weights_layer, weights_iter, bias, dst, none},
          context().engine);
      kernel->add(dnnl::vanilla_rnn_forward(pd), std::move(arguments), pd.impl_info_str());
    }
    previous = dst_memory;
  }
  return kernel;
}

}  // namespace ntp::onednn
