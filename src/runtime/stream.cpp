#include "stream.h"

#include <fmt/format.h>

#include <cmath>

namespace ntp::runtime {

namespace {

// Seconds as whole samples, rounded as the feature ops' shape inference rounds them.
std::int64_t samples_of(double seconds, double rate) {
  return static_cast<std::int64_t>(std::llround(seconds * rate));
}

// The window and step (in samples) of the feature op that reads the audio; {0, 0} when none does.
std::pair<std::int64_t, std::int64_t> feature_framing(const Graph& graph, int audio_value, double rate) {
  for (const Node& node : graph.nodes) {
    if (!node.is_op() || node.inputs.empty() || node.inputs[0] != audio_value) continue;
    if (node.op == "mfcc" || node.op == "fbank")
      return {samples_of(node.attrs.real("winlen"), rate), samples_of(node.attrs.real("winstep"), rate)};
    if (node.op == "spectrogram")
      return {samples_of(node.attrs.real("window_ms") / 1000, rate),
              samples_of(node.attrs.real("step_ms") / 1000, rate)};
  }
  return {0, 0};
}

void refuse_whole_sequence_layers(const Graph& graph) {
  for (const Node& node : graph.nodes) {
    if (!node.is_op()) continue;
    const bool recurrent = node.op == "lstm" || node.op == "gru" || node.op == "rnn";
    if (recurrent && node.attrs.text("direction") != "forward")
      throw UserError(node.where,
                      fmt::format("layer '{}' is a {} {}: it needs the whole utterance, so the pipeline "
                                  "cannot stream",
                                  node.name, node.attrs.text("direction"), node.op),
                      "stream a topology with forward recurrent layers (as later DeepSpeech releases did: "
                      "examples/deepspeech-stream-e2e.xml), or profile this one with --mode latency");
    if (node.op == "attention")
      throw UserError(
          node.where,
          fmt::format("layer '{}' attends over the whole sequence, so the pipeline cannot stream", node.name),
          "profile it with --mode latency");
  }
}

}  // namespace

StreamPlan plan_stream(const Graph& utterance, double chunk_ms) {
  int audio = -1;
  for (const int input : utterance.inputs) {
    if (utterance.values[static_cast<std::size_t>(input)].samplerate <= 0) continue;
    if (audio >= 0)
      throw UserError(kCommandLine, "--mode stream takes a topology with one audio input; this one has more");
    audio = input;
  }
  if (audio < 0)
    throw UserError(
        kCommandLine, "--mode stream needs an audio input to cut into chunks",
        "declare the input as <input name=\"audio\" shape=\"batch,samples\" samplerate=\"16000\"/>");
  const Value& value = utterance.values[static_cast<std::size_t>(audio)];
  refuse_whole_sequence_layers(utterance);

  StreamPlan plan;
  plan.input = value.name;
  plan.samples_param = value.dim_params.size() == 2 ? value.dim_params[1] : std::string();
  if (plan.samples_param.empty())
    throw UserError(
        kCommandLine,
        fmt::format("input '{}' gives its length as a number, so chunks cannot resize it", value.name),
        "write its shape with a parameter: shape=\"batch,samples\"");
  plan.samplerate = value.samplerate;
  plan.total_samples = value.shape[1];
  plan.chunk_samples = samples_of(chunk_ms / 1000, value.samplerate);
  if (plan.chunk_samples <= 0)
    throw UserError(kCommandLine, fmt::format("--chunk-ms {} is less than one sample", chunk_ms));
  const auto [window, step] = feature_framing(utterance, audio, value.samplerate);
  if (step > 0) {
    if (plan.chunk_samples % step != 0)
      throw UserError(
          kCommandLine,
          fmt::format("a chunk of {} ms ({} samples) is not a whole number of feature steps of {} "
                      "samples",
                      chunk_ms, plan.chunk_samples, step),
          fmt::format(
              "use a multiple of {} ms, e.g. --chunk-ms {}", 1000.0 * step / value.samplerate,
              1000.0 * step * std::max<std::int64_t>(1, plan.chunk_samples / step) / value.samplerate));
    plan.overlap_samples = window - step;
    plan.lookback_samples = (plan.overlap_samples + step - 1) / step * step;
  }
  plan.chunks = (plan.total_samples + plan.chunk_samples - 1) / plan.chunk_samples;
  return plan;
}

std::vector<Tensor> chunk_audio(const Tensor& utterance, const StreamPlan& plan) {
  const std::int64_t batch = utterance.shape()[0];
  const std::int64_t total = utterance.shape()[1];
  const std::int64_t width = plan.samples_per_run();
  std::vector<Tensor> chunks;
  for (std::int64_t c = 0; c < plan.chunks; ++c) {
    Tensor chunk({batch, width}, DType::f32);  // zero-filled
    const std::int64_t first = c * plan.chunk_samples - plan.lookback_samples;
    for (std::int64_t n = 0; n < batch; ++n)
      for (std::int64_t j = 0; j < width; ++j) {
        const std::int64_t source = first + j;
        if (source >= 0 && source < total)
          chunk.as<float>()[n * width + j] = utterance.as<float>()[n * total + source];
      }
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

}  // namespace ntp::runtime
