// Why the onednn back end gives its LSTMs plain ldigo weights: oneDNN 2.6 picks another implementation when
// the weights' format is left to it (format_tag::any). This times both on the DeepSpeech v0.1 BiLSTM
// (T=146, I=4096, H=2048, bidirectional concat), interleaved, median of several rounds.
//
//   build/bench/ntp_lstm_formats [--rounds R] [--threads N] [--hidden H] [--batches 1,16] [--bf16]
#include <fmt/format.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct Lstm {
  dnnl::lstm_forward primitive;
  std::unordered_map<int, memory> arguments;
  std::string implementation;
};

Lstm build(dnnl::engine& engine, dnnl::stream& stream, memory::dim steps, memory::dim batch,
           memory::dim hidden, memory::data_type type, bool any_weights) {
  const memory::dim inputs = 2 * hidden;
  const memory::desc src({steps, batch, inputs}, type, tag::tnc);
  const memory::desc dst({steps, batch, 2 * hidden}, type, tag::tnc);
  const memory::desc layer_plain({1, 2, inputs, 4, hidden}, type, tag::ldigo);
  const memory::desc iter_plain({1, 2, hidden, 4, hidden}, type, tag::ldigo);
  const memory::desc bias({1, 2, 4, hidden}, memory::data_type::f32, tag::ldgo);
  const memory::desc layer_any({1, 2, inputs, 4, hidden}, type, tag::any);
  const memory::desc iter_any({1, 2, hidden, 4, hidden}, type, tag::any);
  const memory::desc none;
  const dnnl::lstm_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, dnnl::rnn_direction::bidirectional_concat, src, none, none,
       any_weights ? layer_any : layer_plain, any_weights ? iter_any : iter_plain, bias, dst, none, none},
      engine);
  memory layer_weights(pd.weights_layer_desc(), engine);
  memory iter_weights(pd.weights_iter_desc(), engine);
  // Fill through a reorder from plain weights, as the back end would.
  memory plain_layer(layer_plain, engine);
  memory plain_iter(iter_plain, engine);
  dnnl::reorder(plain_layer, layer_weights).execute(stream, plain_layer, layer_weights);
  dnnl::reorder(plain_iter, iter_weights).execute(stream, plain_iter, iter_weights);
  stream.wait();
  return {dnnl::lstm_forward(pd),
          {{DNNL_ARG_SRC_LAYER, memory(src, engine)},
           {DNNL_ARG_WEIGHTS_LAYER, layer_weights},
           {DNNL_ARG_WEIGHTS_ITER, iter_weights},
           {DNNL_ARG_BIAS, memory(bias, engine)},
           {DNNL_ARG_DST_LAYER, memory(dst, engine)}},
          pd.impl_info_str()};
}

double seconds(Lstm& lstm, dnnl::stream& stream) {
  const std::int64_t start = ntp::profile::now_ns();
  lstm.primitive.execute(stream, lstm.arguments);
  stream.wait();
  return static_cast<double>(ntp::profile::now_ns() - start) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  int threads = 0;
  memory::dim hidden = 2048;
  std::vector<memory::dim> batches = {1, 16};
  bool bf16 = false;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--bf16")
      bf16 = true;
    else if (i + 1 < argc && key == "--rounds")
      rounds = std::stoi(argv[++i]);
    else if (i + 1 < argc && key == "--threads")
      threads = std::stoi(argv[++i]);
    else if (i + 1 < argc && key == "--hidden")
      hidden = std::stoi(argv[++i]);
    else if (i + 1 < argc && key == "--batches") {
      batches.clear();
      const std::string list = argv[++i];
      for (std::size_t start = 0; start <= list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        batches.push_back(std::stoi(list.substr(start, comma - start)));
        start = comma + 1;
      }
    }
  }
  if (threads > 0) omp_set_num_threads(threads);
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const auto type = bf16 ? memory::data_type::bf16 : memory::data_type::f32;
  fmt::print("BiLSTM T=146 I={} H={} {}, median of {} interleaved rounds\n\n", 2 * hidden, hidden,
             bf16 ? "bf16" : "fp32", rounds);
  fmt::print("{:>5}  {:>10}  {:>24}  {:>10}  {:>24}  {:>8}\n", "batch", "ldigo ms", "implementation",
             "any ms", "implementation", "any/ldigo");
  for (const memory::dim batch : batches) {
    Lstm plain = build(engine, stream, 146, batch, hidden, type, false);
    Lstm chosen = build(engine, stream, 146, batch, hidden, type, true);
    seconds(plain, stream);  // warm-up
    seconds(chosen, stream);
    std::vector<double> plain_times, chosen_times;
    for (int round = 0; round < rounds; ++round) {
      plain_times.push_back(seconds(plain, stream));
      chosen_times.push_back(seconds(chosen, stream));
    }
    const double plain_ms = ntp::profile::summarize(plain_times).median * 1e3;
    const double chosen_ms = ntp::profile::summarize(chosen_times).median * 1e3;
    fmt::print("{:>5}  {:>10.1f}  {:>24}  {:>10.1f}  {:>24}  {:>8.2f}\n", batch, plain_ms,
               plain.implementation, chosen_ms, chosen.implementation, chosen_ms / plain_ms);
  }
  return 0;
}
