// Fidelity benchmark for the torch back end: DeepSpeech v0.1 written by hand against LibTorch (ATen
// functional ops under inference mode, the way an engineer would without NTP) against NTP's torch back end
// on examples/deepspeech-v0.1.xml, in the same process, same seeded weights, same threads, interleaved
// round by round so drift on a shared machine hits both alike.
//
//   build/bench/ntp_torch_fidelity [--rounds R] [--iterations K] [--threads N] [--hidden H] [--batches 1,16]
//                                  [--precision fp32|bf16]
//
// Prints, per batch size, the medians and the ratios NTP / hand-written with layer timing off and on.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fidelity_harness.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "ntp/topology.h"
#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace {

// The network by hand: weights from NTP's seeded store (so both compute the same numbers), converted once.
class HandwrittenTorchDeepSpeech {
 public:
  HandwrittenTorchDeepSpeech(const ntp::WeightStore& weights, at::ScalarType type) : type_(type) {
    c10::InferenceMode inference;
    auto get = [&](const char* node, const std::string& name) {
      const ntp::Tensor& tensor = weights.at({node, name});
      return at::from_blob(const_cast<void*>(tensor.data()), at::IntArrayRef(tensor.shape()))
          .to(type)
          .clone();
    };
    for (const char* name : {"fc1", "fc2", "fc3", "fc5", "fc6"})
      dense_.push_back({get(name, "weight"), get(name, "bias")});
    for (const std::string suffix : {"_l0", "_l0_reverse"}) {
      const at::Tensor bias = get("bilstm", "b" + suffix);
      // TensorFlow's BasicLSTMCell has one bias per gate: PyTorch's second bias is zero.
      for (const at::Tensor& tensor :
           {get("bilstm", "w_ih" + suffix), get("bilstm", "w_hh" + suffix), bias, at::zeros_like(bias)})
        lstm_.push_back(tensor);
    }
  }

  // features [frames, batch, 494] f32 -> probabilities [frames, batch, 29] f32.
  at::Tensor run(const at::Tensor& features) {
    c10::InferenceMode inference;
    at::Tensor x = features.to(type_);
    for (std::size_t i = 0; i < 3; ++i)
      x = at::linear(x, dense_[i].first, dense_[i].second).clamp_(0, 20);
    const std::int64_t hidden = lstm_[1].size(1);
    const at::Tensor h0 = at::zeros({2, x.size(1), hidden}, type_);
    x = std::get<0>(at::lstm(x, {h0, h0}, lstm_, true, 1, 0.0, false, true, false));
    x = at::linear(x, dense_[3].first, dense_[3].second).clamp_(0, 20);
    x = at::linear(x, dense_[4].first, dense_[4].second);
    return at::softmax(x, -1).to(at::kFloat);
  }

 private:
  at::ScalarType type_;
  std::vector<std::pair<at::Tensor, at::Tensor>> dense_;
  std::vector<at::Tensor> lstm_;
};

// Per-step timing as the profiler takes it (two clock reads per step), so "on" shows its cost; also kept
// per step, median over rounds, for --layers.
class StepObserver final : public ntp::Observer {
 public:
  void begin(int /*step*/) override { begin_ns_ = ntp::profile::now_ns(); }
  void end(int step) override {
    const auto index = static_cast<std::size_t>(step);
    if (index >= samples_.size()) samples_.resize(index + 1);
    samples_[index].push_back(static_cast<double>(ntp::profile::now_ns() - begin_ns_) * 1e-6);
  }
  const std::vector<std::vector<double>>& samples() const { return samples_; }

 private:
  std::int64_t begin_ns_ = 0;
  std::vector<std::vector<double>> samples_;
};

}  // namespace

int main(int argc, char** argv) {
  ntp::bench::FidelityArguments defaults;
  defaults.threads = 2;
  const ntp::bench::FidelityArguments args = ntp::bench::parse_fidelity_arguments(argc, argv, defaults);
  const ntp::Backend* backend = ntp::find_backend("torch");
  if (backend == nullptr) {
    fmt::print(stderr, "this build has no torch back end\n");
    return 2;
  }
  const auto precision = ntp::parse_dtype(args.precision);
  if (!precision || (*precision != ntp::DType::f32 && *precision != ntp::DType::bf16)) {
    fmt::print(stderr, "--precision takes fp32 or bf16\n");
    return 2;
  }
  const at::ScalarType type = *precision == ntp::DType::bf16 ? at::kBFloat16 : at::kFloat;
  ntp::bench::print_fidelity_header(args);
  for (const int batch : args.batches) {
    const ntp::Graph graph = ntp::bench::load_deepspeech(args.hidden, batch);
    const ntp::WeightStore weights = ntp::generate_weights(graph, 1);
    const auto inputs = ntp::generate_inputs(graph, 1);
    ntp::Executable executable(graph, *backend, {*precision, args.threads, &weights});
    HandwrittenTorchDeepSpeech handwritten(weights, type);
    const ntp::Tensor& features = inputs.at("features");
    const at::Tensor features_view =
        at::from_blob(const_cast<void*>(features.data()), at::IntArrayRef(features.shape()));
    StepObserver observer;

    // Warm both, and check they compute the same thing.
    executable.run(inputs, nullptr);
    const at::Tensor expected = handwritten.run(features_view);
    const ntp::Tensor actual = executable.value_f32(graph.outputs[0]);
    double max_difference = 0;
    for (std::int64_t i = 0; i < actual.elements(); ++i)
      max_difference =
          std::max(max_difference,
                   static_cast<double>(std::fabs(actual.as<float>()[i] - expected.data_ptr<float>()[i])));

    ntp::bench::run_interleaved_rounds(
        args, batch, max_difference, [&] { handwritten.run(features_view); },
        [&] { executable.run(inputs, nullptr); }, [&] { executable.run(inputs, &observer); });
    for (std::size_t step = 0; step < observer.samples().size(); ++step) {
      const auto& samples = observer.samples()[step];
      if (samples.empty()) continue;
      const auto& info = executable.steps()[step];
      if (info.kind != ntp::Step::Kind::node && info.kind != ntp::Step::Kind::convert) continue;
      fmt::print("         {:<24} {:>10.2f} ms  {}\n", info.name, ntp::profile::summarize(samples).median,
                 info.implementation);
    }
  }
  return 0;
}
