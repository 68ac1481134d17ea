#include "handwritten_deepspeech.h"

#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

namespace ntp::bench {

namespace {
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// One fully connected layer over all frames x batch rows, weights reordered once into the format the
// primitive prefers, clipped ReLU fused as a post-op.
struct Dense {
  dnnl::inner_product_forward primitive;
  memory weights, bias, dst;
  Dense(dnnl::engine& engine, dnnl::stream& stream, const Tensor& w, const Tensor& b, memory::dim rows,
        bool relu) {
    const memory::dim out = w.shape()[0];
    const memory::dim in = w.shape()[1];
    const memory::desc src_md({rows, in}, dt::f32, tag::nc);
    const memory::desc any_weights({out, in}, dt::f32, tag::any);
    const memory::desc bias_md({out}, dt::f32, tag::x);
    const memory::desc dst_md({rows, out}, dt::f32, tag::nc);
    dnnl::primitive_attr attr;
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_clip, 0.0F, 20.0F);
      attr.set_post_ops(ops);
    }
    const dnnl::inner_product_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference, src_md, any_weights, bias_md, dst_md}, attr, engine);
    primitive = dnnl::inner_product_forward(pd);
    memory plain({{out, in}, dt::f32, tag::oi}, engine, const_cast<void*>(w.data()));
    weights = memory(pd.weights_desc(), engine);
    dnnl::reorder(plain, weights).execute(stream, plain, weights);
    bias = memory(bias_md, engine);
    std::memcpy(bias.get_data_handle(), b.data(), b.bytes());
    dst = memory(dst_md, engine);
  }
  void run(dnnl::stream& stream, const memory& src) {
    primitive.execute(
        stream,
        {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  }
};

// Copies a [4H, I] gate-major matrix (gate order i, f, g, o) into oneDNN's ldigo [1, 2, I, 4, H] at direction
// d.
void to_ldigo(const Tensor& w, float* ldigo, int direction, memory::dim inputs, memory::dim hidden) {
  const float* source = w.as<float>();
  for (memory::dim g = 0; g < 4; ++g)
    for (memory::dim h = 0; h < hidden; ++h)
      for (memory::dim i = 0; i < inputs; ++i)
        ldigo[((direction * inputs + i) * 4 + g) * hidden + h] = source[(g * hidden + h) * inputs + i];
}
}  // namespace

struct HandwrittenDeepSpeech::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  memory::dim rows;
  std::unique_ptr<Dense> fc1, fc2, fc3, fc5, fc6;
  dnnl::lstm_forward lstm;
  memory lstm_weights_layer, lstm_weights_iter, lstm_bias, lstm_dst, lstm_dst_rows;
  dnnl::softmax_forward softmax;
  memory input, probs_memory;
  Tensor probs;
};

HandwrittenDeepSpeech::HandwrittenDeepSpeech(const WeightStore& weights, int frames, int batch, int hidden)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  const memory::dim T = frames;
  const memory::dim N = batch;
  const memory::dim H = hidden;
  m.rows = T * N;
  auto weight = [&](const char* node, const char* name) -> const Tensor& { return weights.at({node, name}); };
  m.fc1 = std::make_unique<Dense>(m.engine, m.stream, weight("fc1", "weight"), weight("fc1", "bias"), m.rows,
                                  true);
  m.fc2 = std::make_unique<Dense>(m.engine, m.stream, weight("fc2", "weight"), weight("fc2", "bias"), m.rows,
                                  true);
  m.fc3 = std::make_unique<Dense>(m.engine, m.stream, weight("fc3", "weight"), weight("fc3", "bias"), m.rows,
                                  true);

  // Bidirectional LSTM on plain ldigo weights: on this machine oneDNN 2.6's gemm-based LSTM is several times
  // faster at batch 1 than the brgemm one it picks for format any (see shared DEPENDENCIES notes).
  const memory::dim I = 2 * H;
  const memory::desc src_layer({T, N, I}, dt::f32, tag::tnc);
  const memory::desc weights_layer({1, 2, I, 4, H}, dt::f32, tag::ldigo);
  const memory::desc weights_iter({1, 2, H, 4, H}, dt::f32, tag::ldigo);
  const memory::desc bias({1, 2, 4, H}, dt::f32, tag::ldgo);
  const memory::desc dst_layer({T, N, 2 * H}, dt::f32, tag::tnc);
  const dnnl::lstm_forward::primitive_desc lstm_pd(
      {dnnl::prop_kind::forward_inference, dnnl::rnn_direction::bidirectional_concat, src_layer,
       memory::desc(), memory::desc(), weights_layer, weights_iter, bias, dst_layer, memory::desc(),
       memory::desc()},
      m.engine);
  m.lstm = dnnl::lstm_forward(lstm_pd);
  m.lstm_weights_layer = memory(weights_layer, m.engine);
  m.lstm_weights_iter = memory(weights_iter, m.engine);
  m.lstm_bias = memory(bias, m.engine);
  m.lstm_dst = memory(dst_layer, m.engine);
  m.lstm_dst_rows = memory({{m.rows, 2 * H}, dt::f32, tag::nc}, m.engine, m.lstm_dst.get_data_handle());
  const char* suffixes[2] = {"_l0", "_l0_reverse"};
  for (int d = 0; d < 2; ++d) {
    const std::string suffix = suffixes[d];
    to_ldigo(weight("bilstm", ("w_ih" + suffix).c_str()),
             static_cast<float*>(m.lstm_weights_layer.get_data_handle()), d, I, H);
    to_ldigo(weight("bilstm", ("w_hh" + suffix).c_str()),
             static_cast<float*>(m.lstm_weights_iter.get_data_handle()), d, H, H);
    std::memcpy(static_cast<float*>(m.lstm_bias.get_data_handle()) + d * 4 * H,
                weight("bilstm", ("b" + suffix).c_str()).data(),
                static_cast<std::size_t>(4 * H) * sizeof(float));
  }
  m.fc5 = std::make_unique<Dense>(m.engine, m.stream, weight("fc5", "weight"), weight("fc5", "bias"), m.rows,
                                  true);
  m.fc6 = std::make_unique<Dense>(m.engine, m.stream, weight("fc6", "weight"), weight("fc6", "bias"), m.rows,
                                  false);
  const memory::desc logits({m.rows, 29}, dt::f32, tag::nc);
  m.softmax = dnnl::softmax_forward(
      dnnl::softmax_forward::primitive_desc({dnnl::prop_kind::forward_inference, logits, 1}, m.engine));
  m.probs = Tensor({T, N, 29}, DType::f32);
  m.probs_memory = memory(logits, m.engine, m.probs.data());
  m.input = memory({{m.rows, 494}, dt::f32, tag::nc}, m.engine, nullptr);
  m.stream.wait();
}

HandwrittenDeepSpeech::~HandwrittenDeepSpeech() = default;

const Tensor& HandwrittenDeepSpeech::run(const Tensor& features) {
  Impl& m = *impl_;
  m.input.set_data_handle(const_cast<void*>(features.data()));
  m.fc1->run(m.stream, m.input);
  m.fc2->run(m.stream, m.fc1->dst);
  m.fc3->run(m.stream, m.fc2->dst);
  m.lstm.execute(m.stream, {{DNNL_ARG_SRC_LAYER, m.fc3->dst},
                            {DNNL_ARG_WEIGHTS_LAYER, m.lstm_weights_layer},
                            {DNNL_ARG_WEIGHTS_ITER, m.lstm_weights_iter},
                            {DNNL_ARG_BIAS, m.lstm_bias},
                            {DNNL_ARG_DST_LAYER, m.lstm_dst}});
  m.fc5->run(m.stream, m.lstm_dst_rows);
  m.fc6->run(m.stream, m.fc5->dst);
  m.softmax.execute(m.stream, {{DNNL_ARG_SRC, m.fc6->dst}, {DNNL_ARG_DST, m.probs_memory}});
  m.stream.wait();
  return m.probs;
}

}  // namespace ntp::bench
