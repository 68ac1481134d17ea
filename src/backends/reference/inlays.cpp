// Inlays as kernels: feature extraction before the network and CTC decoding after it. The stages
// themselves live in src/inlays/ (FFTW, libsndfile, plain C++); these factories only map graph tensors
// onto them, one batch item at a time. Every back end runs them through this table.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "inlays/arpa_model.h"
#include "inlays/ctc.h"
#include "inlays/features.h"
#include "kernels.h"

namespace ntp::reference {

namespace {

using inlays::Window;

Window window_of(const NodeView& node) {
  const auto window = inlays::parse_window(node.attrs().text("window"));
  if (!window) node.fail(fmt::format("unknown window '{}'", node.attrs().text("window")));
  return *window;
}

inlays::FilterbankOptions filterbank_options(const NodeView& node) {
  const Attributes& a = node.attrs();
  inlays::FilterbankOptions options;
  options.samplerate = a.real("samplerate");
  options.winlen = a.real("winlen");
  options.winstep = a.real("winstep");
  options.nfilt = static_cast<int>(a.integer("nfilt"));
  options.nfft = static_cast<int>(a.integer("nfft"));
  options.lowfreq = a.real("lowfreq");
  options.highfreq = a.real("highfreq");
  options.preemph = a.real("preemph");
  options.window = window_of(node);
  return options;
}

// [N, samples] -> [N, frames, width]: `extract` fills one item's [frames, width] block from its samples.
// The extractor is shared by the kernel's runs; each batch item is computed in turn.
template <class Extractor, class Compute>
RunFunction per_utterance(const NodeView& node, std::shared_ptr<Extractor> extractor, std::int64_t width,
                          Compute compute) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  node.expect_output_shape(0, {in[0], extractor->frames(), width});
  const std::int64_t batch = in[0];
  const std::int64_t samples = in[1];
  const std::int64_t block = extractor->frames() * width;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    for (std::int64_t n = 0; n < batch; ++n)
      compute(*extractor, inputs[0]->as<float>() + n * samples, outputs[0]->as<float>() + n * block);
  };
}

RunFunction make_mfcc(const NodeView& node) {
  const Attributes& a = node.attrs();
  auto extractor = std::make_shared<inlays::MfccExtractor>(
      filterbank_options(node), static_cast<int>(a.integer("numcep")),
      static_cast<int>(a.integer("ceplifter")), a.integer("appendEnergy") != 0, node.input_shape(0).at(1));
  return per_utterance(
      node, extractor, a.integer("numcep"),
      [](inlays::MfccExtractor& mfcc, const float* in, float* out) { mfcc.compute(in, out); });
}

RunFunction make_fbank(const NodeView& node) {
  auto extractor =
      std::make_shared<inlays::FilterbankExtractor>(filterbank_options(node), node.input_shape(0).at(1));
  const bool log_energies = node.attrs().integer("log") != 0;
  return per_utterance(node, extractor, extractor->filters(),
                       [log_energies](inlays::FilterbankExtractor& fbank, const float* in, float* out) {
                         fbank.compute(in, out, log_energies);
                       });
}

RunFunction make_spectrogram(const NodeView& node) {
  const Attributes& a = node.attrs();
  auto extractor = std::make_shared<inlays::SpectrogramExtractor>(
      a.real("samplerate"), a.real("window_ms"), a.real("step_ms"), window_of(node), a.integer("log") != 0,
      node.input_shape(0).at(1));
  return per_utterance(node, extractor, extractor->bins(),
                       [](inlays::SpectrogramExtractor& spectrogram, const float* in, float* out) {
                         spectrogram.compute(in, out);
                       });
}

// Streaming context windows: each chunk's kept frames follow the last 2 * context kept frames of earlier
// chunks, and the output is centred `context` frames back, so every window sees real neighbours on both
// sides (the first chunk sees zeros before the stream, as the whole-utterance window does).
struct ContextHistory {
  std::int64_t batch, features, stride, context;
  std::vector<std::vector<float>> rows;  // per item: the last 2 * context kept frames, [2c, F]

  void reset() {
    rows.assign(static_cast<std::size_t>(batch),
                std::vector<float>(static_cast<std::size_t>(2 * context * features), 0.0F));
  }
  void run(const float* frames, std::int64_t frame_count, float* out, bool whiten) {
    const std::int64_t kept = inlays::context_window_rows(frame_count, stride);
    const std::int64_t width = (2 * context + 1) * features;
    const std::int64_t history = 2 * context;
    std::vector<float> extended(static_cast<std::size_t>((history + kept) * features));
    std::vector<float> windows(static_cast<std::size_t>((history + kept) * width));
    for (std::int64_t n = 0; n < batch; ++n) {
      std::vector<float>& past = rows[static_cast<std::size_t>(n)];
      std::copy(past.begin(), past.end(), extended.begin());
      for (std::int64_t k = 0; k < kept; ++k) {
        const float* frame = frames + (n * frame_count + k * stride) * features;
        std::copy(frame, frame + features, extended.begin() + (history + k) * features);
      }
      inlays::context_window(extended.data(), history + kept, features, 1, context, false, windows.data(),
                             width);
      float* item_out = out + n * width;
      for (std::int64_t r = 0; r < kept; ++r)
        std::copy_n(windows.begin() + (context + r) * width, width, item_out + r * batch * width);
      if (whiten) inlays::whiten_rows(item_out, kept, width, batch * width);
      std::copy(extended.end() - history * features, extended.end(), past.begin());
    }
  }
};

// [N, T, F] -> time-major [T', N, W*F]: each item's rows are interleaved with the other items'.
RunFunction make_context_window(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);
  const std::int64_t stride = node.attrs().integer("stride");
  const std::int64_t context = node.attrs().integer("context");
  const bool whiten = node.attrs().integer("whiten") != 0;
  const std::int64_t batch = in[0];
  const std::int64_t frames = in[1];
  const std::int64_t features = in[2];
  const std::int64_t width = (2 * context + 1) * features;
  node.expect_output_shape(0, {inlays::context_window_rows(frames, stride), batch, width});
  if (node.streaming()) {
    if (frames % stride != 0)
      node.fail(
          fmt::format("a chunk of {} frames cannot stream with stride {}: the kept frames would shift "
                      "from chunk to chunk",
                      frames, stride));
    auto history = std::make_shared<ContextHistory>(ContextHistory{batch, features, stride, context, {}});
    history->reset();
    node.on_stream_reset([history] { history->reset(); });
    return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
      history->run(inputs[0]->as<float>(), frames, outputs[0]->as<float>(), whiten);
    };
  }
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    for (std::int64_t n = 0; n < batch; ++n)
      inlays::context_window(inputs[0]->as<float>() + n * frames * features, frames, features, stride,
                             context, whiten, outputs[0]->as<float>() + n * width, batch * width);
  };
}

// The blank attribute (-1: the last class) as a class index.
int blank_of(const NodeView& node) {
  return inlays::ctc_blank_index(node.attrs().integer("blank"), node.input_shape(0).at(2));
}

// Labels of one item written as int32, padded with -1 to `length`.
void write_labels(const std::vector<int>& labels, std::int32_t* out, std::int64_t length) {
  for (std::int64_t t = 0; t < length; ++t)
    out[t] = t < static_cast<std::int64_t>(labels.size()) ? labels[static_cast<std::size_t>(t)] : -1;
}

RunFunction make_ctc_greedy(const NodeView& node) {
  node.expect_arity(1, 1, 1);
  const Shape& in = node.input_shape(0);  // [T, N, V]
  node.expect_output_shape(0, {in[1], in[0]});
  const int blank = blank_of(node);
  const bool merge = node.attrs().integer("merge_repeated") != 0;
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    const auto [steps, batch, classes] = std::array{in[0], in[1], in[2]};
    for (std::int64_t n = 0; n < batch; ++n) {
      const std::vector<int> labels = inlays::ctc_greedy(inputs[0]->as<float>() + n * classes, steps, classes,
                                                         batch * classes, blank, merge);
      write_labels(labels, outputs[0]->as<std::int32_t>() + n * steps, steps);
    }
  };
}

// A language model path is taken relative to the topology's folder, as a user writing the file expects.
std::string beside_topology(const NodeView& node, const std::string& path) {
  const std::filesystem::path written(path);
  if (written.is_absolute() || node.graph().source.empty()) return path;
  return (std::filesystem::path(node.graph().source).parent_path() / written).string();
}

RunFunction make_ctc_beam(const NodeView& node) {
  node.expect_arity(1, 1, 2);
  const Shape& in = node.input_shape(0);  // [T, N, V]
  const Attributes& a = node.attrs();
  const std::int64_t top = a.integer("top_paths");
  node.expect_output_shape(0, {in[1], top, in[0]});
  node.expect_output_shape(1, {in[1], top});

  auto options = std::make_shared<inlays::CtcBeamOptions>();
  options->beam_width = static_cast<int>(a.integer("beam_width"));
  options->blank = blank_of(node);
  options->top_paths = static_cast<int>(top);
  options->lm_weight = a.real("lm_weight");
  options->word_bonus = a.real("word_bonus");
  const std::vector<std::string> characters = inlays::split_utf8(a.text("alphabet"));
  std::shared_ptr<const inlays::ArpaModel> model;
  if (!a.text("lm").empty()) {
    if (characters.empty())
      node.fail("a language model needs an alphabet to spell words (set alphabet=\"...\")");
    model = std::make_shared<const inlays::ArpaModel>(
        inlays::ArpaModel::load(beside_topology(node, a.text("lm"))));
    options->language_model = model.get();
  }
  // Class c's text, the blank skipped in the alphabet's numbering; the space ends a word for the model.
  for (std::int64_t c = 0, letter = 0; c < in[2]; ++c) {
    if (c == options->blank || characters.empty()) {
      options->labels_text.emplace_back();
      continue;
    }
    const std::string& text = characters[static_cast<std::size_t>(letter++)];
    if (text == " ") options->space_label = static_cast<int>(c);
    options->labels_text.push_back(text);
  }
  return [=](std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) {
    (void)model;  // owned here: options points into it
    const auto [steps, batch, classes] = std::array{in[0], in[1], in[2]};
    for (std::int64_t n = 0; n < batch; ++n) {
      const std::vector<inlays::CtcHypothesis> best = inlays::ctc_beam_search(
          inputs[0]->as<float>() + n * classes, steps, classes, batch * classes, *options);
      for (std::int64_t k = 0; k < top; ++k) {
        const bool found = k < static_cast<std::int64_t>(best.size());
        write_labels(found ? best[static_cast<std::size_t>(k)].labels : std::vector<int>{},
                     outputs[0]->as<std::int32_t>() + (n * top + k) * steps, steps);
        outputs[1]->as<float>()[n * top + k] =
            found ? static_cast<float>(best[static_cast<std::size_t>(k)].log_score) : -INFINITY;
      }
    }
  };
}

}  // namespace

std::vector<KernelEntry> inlay_kernels() {
  return {{"mfcc", make_mfcc, false, "fftw3 (float64)"},
          {"fbank", make_fbank, false, "fftw3 (float64)"},
          {"spectrogram", make_spectrogram, false, "fftw3 (float64)"},
          {"context_window", make_context_window, false, "plain C++"},
          {"ctc_greedy", make_ctc_greedy, true, "plain C++"},
          {"ctc_beam", make_ctc_beam, true, "prefix beam search, plain C++"}};
}

}  // namespace ntp::reference
