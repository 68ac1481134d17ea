#include "inlay_results.h"

#include <nlohmann/json.hpp>

#include "inlays/ctc.h"

namespace ntp::session {

void add_audio(RunRecord& record, const Graph& graph, const std::map<std::string, std::string>& sources,
               double chunk_seconds) {
  nlohmann::json audio = nlohmann::json::array();
  double seconds_per_inference = 0;
  for (const int input : graph.inputs) {
    const Value& value = graph.values[static_cast<std::size_t>(input)];
    if (value.samplerate <= 0) continue;
    const double seconds = static_cast<double>(value.shape.at(1)) / value.samplerate;
    const auto source = sources.find(value.name);
    audio.push_back({{"input", value.name},
                     {"samplerate", value.samplerate},
                     {"samples", value.shape.at(1)},
                     {"seconds", seconds},
                     {"batch", value.shape.at(0)},
                     {"source", source == sources.end() ? "seeded random samples" : source->second}});
    seconds_per_inference = std::max(seconds_per_inference, seconds * static_cast<double>(value.shape.at(0)));
  }
  if (audio.empty()) return;
  nlohmann::json& section = record.sections["audio"];
  section = {{"inputs", audio}};
  if (chunk_seconds > 0)
    seconds_per_inference = chunk_seconds * static_cast<double>(audio[0]["batch"].get<std::int64_t>());
  if (seconds_per_inference > 0) {
    const double median_seconds = record.latency.ms.median * 1e-3;
    section["real_time_factor"] = median_seconds / seconds_per_inference;
    section["how"] =
        "real-time factor: median end-to-end latency / seconds of audio one inference (in stream mode one "
        "chunk) processes, batch x duration; below 1 is faster than real time";
  }
}

namespace {

std::vector<int> labels_of(const Tensor& labels, std::int64_t offset, std::int64_t length) {
  std::vector<int> result;
  for (std::int64_t t = 0; t < length; ++t) {
    const int label = static_cast<int>(labels.as<float>()[offset + t]);
    if (label < 0) break;  // padding
    result.push_back(label);
  }
  return result;
}

}  // namespace

nlohmann::json transcripts(const Executable& executable) {
  const Graph& graph = executable.graph();
  nlohmann::json result = nlohmann::json::array();
  for (const Node& node : graph.nodes) {
    if (!node.is_op() || (node.op != "ctc_greedy" && node.op != "ctc_beam")) continue;
    const Shape& probabilities =
        graph.values[static_cast<std::size_t>(node.inputs.at(0))].shape;  // [T, N, V]
    const int blank = inlays::ctc_blank_index(node.attrs.integer("blank"), probabilities.at(2));
    const std::vector<std::string> alphabet = inlays::split_utf8(node.attrs.text("alphabet"));
    const Tensor labels = executable.value_f32(node.outputs.at(0));
    const bool beam = node.op == "ctc_beam";
    const Tensor scores = beam ? executable.value_f32(node.outputs.at(1)) : Tensor();
    const std::int64_t paths = beam ? labels.shape().at(1) : 1;
    const std::int64_t steps = labels.shape().back();
    for (std::int64_t item = 0; item < labels.shape().at(0); ++item) {
      for (std::int64_t rank = 0; rank < paths; ++rank) {
        const std::int64_t row = item * paths + rank;
        nlohmann::json entry = {
            {"node", node.name},
            {"item", item},
            {"rank", rank},
            {"text", inlays::labels_to_text(labels_of(labels, row * steps, steps), alphabet, blank)}};
        if (beam) entry["log_score"] = scores.as<float>()[row];
        result.push_back(std::move(entry));
      }
    }
  }
  return result;
}

}  // namespace ntp::session
