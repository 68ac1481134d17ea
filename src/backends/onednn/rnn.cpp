// lstm, gru (linear-before-reset) and vanilla rnn: one oneDNN RNN primitive per stacked layer, on plain
// ldigo weights. With format_tag::any oneDNN 2.6 picks a brgemm LSTM that is 3-4x slower here at batch 1
// (shared DEPENDENCIES notes, DeepSpeech v0.1 BiLSTM); bench/ measures the end-to-end result.
#include <algorithm>
#include <array>
#include <cmath>

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

struct PackedLayer {
  std::vector<float> layer;  // ldigo [1, D, I, G, H]
  std::vector<float> iter;   // ldigo [1, D, H, G, H]
  std::vector<float> bias;   // ldgo [1, D, bias_gates, H]
};

// Repacks one stacked layer's [G*H, I] gate-major matrices into ldigo, in oneDNN's gate order, and its
// biases into ldgo (lbr_gru: the candidate's hidden bias as a fourth gate).
PackedLayer pack_layer(const Graph& graph, int node_index, const CompileOptions& options, const Cell& cell,
                       std::int64_t layer, memory::dim inputs, memory::dim hidden, memory::dim bias_gates) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const auto directions = suffixes(node.attrs);
  const auto D = static_cast<memory::dim>(directions.size());
  const memory::dim gates = static_cast<memory::dim>(cell.gates);
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
          wl[static_cast<std::size_t>(((d * inputs + i) * gates + g) * hidden + h)] = w_ih[row * inputs + i];
        for (memory::dim i = 0; i < hidden; ++i)
          wi[static_cast<std::size_t>(((d * hidden + i) * gates + g) * hidden + h)] = w_hh[row * hidden + i];
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
  return {std::move(wl), std::move(wi), std::move(b)};
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

    PackedLayer packed = pack_layer(graph, node_index, options, cell, layer, inputs, hidden, bias_gates);
    std::vector<float>& wl = packed.layer;
    std::vector<float>& wi = packed.iter;
    std::vector<float>& b = packed.bias;
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
    // Streaming: the layer starts from the state the last run ended in (h, and c for lstm; [1, 1, N, H]).
    memory::desc state, cell_state;
    if (options.streaming) {
      state = memory::desc({1, D, batch, hidden}, type, memory::format_tag::ldnc);
      auto carried = [&](const memory::desc& desc, int initial_arg, int final_arg) {
        memory initial(desc, context().engine);
        memory final_state(desc, context().engine);
        arguments[initial_arg] = initial;
        arguments[final_arg] = final_state;
        kernel->carry_state(final_state, initial);
      };
      carried(state, DNNL_ARG_SRC_ITER, DNNL_ARG_DST_ITER);
      if (node.op == "lstm") {
        cell_state = memory::desc({1, D, batch, hidden}, memory::data_type::f32, memory::format_tag::ldnc);
        carried(cell_state, DNNL_ARG_SRC_ITER_C, DNNL_ARG_DST_ITER_C);
      }
    }
    if (node.op == "lstm") {
      const dnnl::lstm_forward::primitive_desc pd({prop, direction, src, state, cell_state, weights_layer,
                                                   weights_iter, bias, dst, state, cell_state},
                                                  context().engine);
      kernel->add(dnnl::lstm_forward(pd), std::move(arguments), pd.impl_info_str());
    } else if (node.op == "gru") {
      const dnnl::lbr_gru_forward::primitive_desc pd(
          {prop, direction, src, state, weights_layer, weights_iter, bias, dst, state}, context().engine);
      kernel->add(dnnl::lbr_gru_forward(pd), std::move(arguments), pd.impl_info_str());
    } else {
      const auto activation = node.attrs.text("activation") == "relu" ? dnnl::algorithm::eltwise_relu
                                                                      : dnnl::algorithm::eltwise_tanh;
      const dnnl::vanilla_rnn_forward::primitive_desc pd(
          {prop, activation, direction, src, state, weights_layer, weights_iter, bias, dst, state},
          context().engine);
      kernel->add(dnnl::vanilla_rnn_forward(pd), std::move(arguments), pd.impl_info_str());
    }
    previous = dst_memory;
  }
  return kernel;
}

}  // namespace ntp::onednn

namespace ntp::onednn {

std::unique_ptr<Kernel> make_lstm_int8(const Graph& graph, int node_index, const CompileOptions& options) {
  const Node& node = graph.nodes[static_cast<std::size_t>(node_index)];
  const Cell cell = cell_of("lstm");
  const Shape& in = input_value(graph, node_index, 0).shape;
  const memory::dim hidden = node.attrs.integer("hidden");
  const auto D = static_cast<memory::dim>(suffixes(node.attrs).size());
  const memory::dim inputs = in[2];
  const memory::dim out_width = output_value(graph, node_index, 0).shape[2];
  // oneDNN quantises the input and the hidden state (in [-1, 1]) with the same u8 scale and shift.
  const float range = std::max(input_range(graph, node_index, 0, options), 1.0F);
  const Quantization data{127.0F / range, 128.0F};
  const PackedLayer packed = pack_layer(graph, node_index, options, cell, 0, inputs, hidden, 4);
  // One scale per (gate, output unit), over both directions and both matrices.
  std::vector<float> scales(static_cast<std::size_t>(4 * hidden), 0.0F);
  const auto widen = [&](const std::vector<float>& ldigo, memory::dim rows) {
    for (memory::dim d = 0; d < D; ++d)
      for (memory::dim r = 0; r < rows; ++r)
        for (memory::dim j = 0; j < 4 * hidden; ++j) {
          float& scale = scales[static_cast<std::size_t>(j)];
          scale =
              std::max(scale, std::fabs(ldigo[static_cast<std::size_t>((d * rows + r) * 4 * hidden + j)]));
        }
  };
  widen(packed.layer, inputs);
  widen(packed.iter, hidden);
  for (float& scale : scales)
    scale = 127.0F / std::max(scale, 1e-12F);
  constexpr int kGateAndOutput = (1 << 3) | (1 << 4);  // ldigo dimensions g and o

  dnnl::primitive_attr attr;
  attr.set_rnn_data_qparams(data.scale, data.zero_point);
  attr.set_rnn_weights_qparams(kGateAndOutput, scales);
  const memory::desc src({in[0], in[1], inputs}, memory::data_type::u8, memory::format_tag::tnc);
  const memory::desc dst({in[0], in[1], out_width}, memory::data_type::f32, memory::format_tag::tnc);
  const memory::desc bias({1, D, 4, hidden}, memory::data_type::f32, memory::format_tag::ldgo);
  const memory::desc none;
  const dnnl::lstm_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, direction_of(node.attrs), src, none, none,
       memory::desc({1, D, inputs, 4, hidden}, memory::data_type::s8, memory::format_tag::any),
       memory::desc({1, D, hidden, 4, hidden}, memory::data_type::s8, memory::format_tag::any), bias, dst,
       none, none},
      attr, context().engine);
  // Quantise the weights once into oneDNN's packed int8 layout (the reorder also computes its compensation).
  const auto quantized = [&](const std::vector<float>& ldigo, memory::dim rows, const memory::desc& target) {
    memory plain_weights({{1, D, rows, 4, hidden}, memory::data_type::f32, memory::format_tag::ldigo},
                         context().engine, const_cast<float*>(ldigo.data()));
    memory result(target, context().engine);
    dnnl::reorder(dnnl::reorder::primitive_desc(plain_weights, result, attr))
        .execute(context().stream, plain_weights, result);
    context().stream.wait();
    return result;
  };
  memory bias_memory(bias, context().engine);
  std::copy(packed.bias.begin(), packed.bias.end(), static_cast<float*>(bias_memory.get_data_handle()));

  auto kernel = std::make_unique<PrimitiveKernel>(DType::f32, 1, 1);
  kernel->bind_input(0, src);
  kernel->quantized_input(0, DType::u8, data);
  kernel->bind_output(0, dst);
  kernel->add(dnnl::lstm_forward(pd),
              {{DNNL_ARG_SRC_LAYER, kernel->input(0)},
               {DNNL_ARG_WEIGHTS_LAYER, quantized(packed.layer, inputs, pd.weights_layer_desc())},
               {DNNL_ARG_WEIGHTS_ITER, quantized(packed.iter, hidden, pd.weights_iter_desc())},
               {DNNL_ARG_BIAS, bias_memory},
               {DNNL_ARG_DST_LAYER, kernel->output(0)}},
              pd.impl_info_str());
  return kernel;
}

}  // namespace ntp::onednn
