// lstm as OpenCV's LSTM layer, one per stacked layer (both directions in one when bidirectional). OpenCV
// takes Wh [D*4H, H], Wx [D*4H, I], b [1, D*4H] and the initial h0, c0 [D*N, H] as blobs, gates in the order
// i, f, o, g; NTP's weights are per direction with gates i, f, g, o.
#include <fmt/format.h>

#include <cstring>

#include "layers.h"

namespace ntp::opencv {

namespace {

// OpenCV's gate k is NTP's gate kNtpGate[k].
constexpr int kNtpGate[4] = {0, 1, 3, 2};

// Copies the directions' [4H, width] weights (or [4H] biases, width 1) into one [D*4H, width] Mat, gates
// reordered.
cv::Mat stacked_gates(const std::vector<cv::Mat>& directions, int hidden, int width) {
  const int rows = static_cast<int>(directions.size()) * 4 * hidden;
  cv::Mat stacked(rows, width, CV_32F);
  const std::size_t block = static_cast<std::size_t>(hidden) * static_cast<std::size_t>(width);
  for (std::size_t d = 0; d < directions.size(); ++d) {
    const auto* source = directions[d].ptr<float>();
    auto* target = stacked.ptr<float>() + d * 4 * block;
    for (std::size_t gate = 0; gate < 4; ++gate)
      std::memcpy(target + gate * block, source + static_cast<std::size_t>(kNtpGate[gate]) * block,
                  block * sizeof(float));
  }
  return stacked;
}

}  // namespace

std::unique_ptr<Kernel> make_lstm(const Graph& graph, int node, const CompileOptions& options) {
  const Attributes& attrs = node_at(graph, node).attrs;
  const Shape& in = input_shape(graph, node, 0);  // [T, N, C]
  const auto batch = static_cast<int>(in[1]);
  const auto hidden = static_cast<int>(attrs.integer("hidden"));
  const std::string& direction = attrs.text("direction");
  const bool bidirectional = direction == "bidirectional";
  const bool sum = bidirectional && attrs.text("merge") == "sum";
  const int directions = bidirectional ? 2 : 1;
  const std::vector<std::string> suffixes =
      bidirectional ? std::vector<std::string>{"", "_reverse"}
                    : std::vector<std::string>{direction == "reverse" ? "_reverse" : ""};
  auto kernel = std::make_unique<NetKernel>(graph, node);
  Pin sequence = kernel->input(0);
  auto width = static_cast<int>(in[2]);
  for (std::int64_t layer = 0; layer < attrs.integer("layers"); ++layer) {
    std::vector<cv::Mat> w_ih, w_hh, biases;
    for (const std::string& suffix : suffixes) {
      const std::string tag = fmt::format("_l{}{}", layer, suffix);
      w_ih.push_back(weight_mat(graph, node, options, "w_ih" + tag));  // [4H, width]
      w_hh.push_back(weight_mat(graph, node, options, "w_hh" + tag));  // [4H, H]
      biases.push_back(weight_mat(graph, node, options, "b" + tag));   // [4H]
    }
    cv::dnn::LayerParams params;
    params.blobs = {stacked_gates(w_hh, hidden, hidden), stacked_gates(w_ih, hidden, width),
                    stacked_gates(biases, hidden, 1).reshape(1, 1),
                    cv::Mat::zeros(directions * batch, hidden, CV_32F),
                    cv::Mat::zeros(directions * batch, hidden, CV_32F)};
    params.set("bidirectional", bidirectional);
    params.set("reverse", direction == "reverse");
    params.set("forget_bias", attrs.real("forget_bias"));
    params.set("hidden_size", hidden);
    sequence = kernel->add("LSTM", params, {sequence});
    if (sum) {
      // [T, N, 2H] -> two [T, N, H] halves, added.
      cv::dnn::LayerParams halves;
      halves.set("axis", 2);
      const int split_at = hidden;
      halves.set("slice_point", cv::dnn::DictValue::arrayInt(&split_at, 1));
      const Pin forward = kernel->add("Slice", halves, {sequence});
      cv::dnn::LayerParams add;
      add.set("operation", "sum");
      sequence = kernel->add("Eltwise", add, {forward, Pin{forward.layer, 1}});
      width = hidden;
    } else {
      width = directions * hidden;
    }
  }
  // The LSTM layer's own output cannot be fetched by name reliably; an Identity after it can.
  if (!sum) sequence = kernel->add("Identity", {}, {sequence});
  kernel->set_output(sequence);
  kernel->finish();
  return kernel;
}

}  // namespace ntp::opencv
