// Fidelity benchmark: NTP's end-to-end time for examples/deepspeech-v0.1.xml on the onednn back end against
// the same network hand-written against oneDNN (handwritten_deepspeech.cpp), in the same process, same
// weights, same threads, interleaved round by round so drift on a shared machine hits both alike.
//
//   build/bench/ntp_fidelity [--rounds R] [--iterations K] [--threads N] [--hidden H] [--batches 1,16]
//
// Prints, per batch size, the medians and the ratios NTP / hand-written with layer timing off and on.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "handwritten_deepspeech.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "ntp/topology.h"
#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace {

struct Arguments {
  int rounds = 7;
  int iterations = 3;
  int threads = 0;
  int hidden = 2048;
  std::vector<int> batches = {1, 16};
};

Arguments parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--rounds")
      args.rounds = std::stoi(value);
    else if (key == "--iterations")
      args.iterations = std::stoi(value);
    else if (key == "--threads")
      args.threads = std::stoi(value);
    else if (key == "--hidden")
      args.hidden = std::stoi(value);
    else if (key == "--batches") {
      args.batches.clear();
      for (std::size_t start = 0; start <= value.size();) {
        const std::size_t comma = std::min(value.find(',', start), value.size());
        args.batches.push_back(std::stoi(value.substr(start, comma - start)));
        start = comma + 1;
      }
    }
  }
  return args;
}

template <class Body>
double mean_seconds_per_iteration(int iterations, Body body) {
  const std::int64_t start = ntp::profile::now_ns();
  for (int i = 0; i < iterations; ++i)
    body();
  return static_cast<double>(ntp::profile::now_ns() - start) * 1e-9 / iterations;
}

class NullObserver final : public ntp::Observer {
 public:
  void begin(int step) override { begin_ns_[static_cast<std::size_t>(step) % 64] = ntp::profile::now_ns(); }
  void end(int step) override { end_ns_[static_cast<std::size_t>(step) % 64] = ntp::profile::now_ns(); }

 private:
  std::int64_t begin_ns_[64] = {};
  std::int64_t end_ns_[64] = {};
};

}  // namespace

int main(int argc, char** argv) {
  const Arguments args = parse(argc, argv);
  const ntp::Backend* backend = ntp::find_backend("onednn");
  if (backend == nullptr) {
    fmt::print(stderr, "this build has no onednn back end\n");
    return 2;
  }
  fmt::print(
      "DeepSpeech v0.1 (hidden {}), fp32, {} threads, median of {} rounds x {} iterations, interleaved\n\n",
      args.hidden, args.threads > 0 ? std::to_string(args.threads) : std::string("default"), args.rounds,
      args.iterations);
  fmt::print("{:>5}  {:>12}  {:>12}  {:>12}  {:>9}  {:>9}  {:>10}\n", "batch", "hand ms", "ntp off ms",
             "ntp on ms", "off/hand", "on/hand", "max |diff|");
  for (const int batch : args.batches) {
    ntp::LoadOptions options;
    options.overrides = {{"hidden", std::to_string(args.hidden)}, {"batch", std::to_string(batch)}};
    auto loaded = ntp::load_topology(std::string(NTP_SOURCE_DIR) + "/examples/deepspeech-v0.1.xml", options);
    if (!loaded.ok()) {
      fmt::print(stderr, "{}\n", loaded.error().to_string());
      return 2;
    }
    const ntp::Graph& graph = loaded.value();
    const ntp::WeightStore weights = ntp::generate_weights(graph, 1);
    const auto inputs = ntp::generate_inputs(graph, 1);
    const int frames = static_cast<int>(graph.values[static_cast<std::size_t>(graph.inputs[0])].shape[0]);
    ntp::Executable executable(graph, *backend, {ntp::DType::f32, args.threads, &weights});
    backend->set_threads(args.threads);
    ntp::bench::HandwrittenDeepSpeech handwritten(weights, frames, batch, args.hidden);
    NullObserver observer;

    // Warm both, and check they compute the same thing.
    executable.run(inputs, nullptr);
    const ntp::Tensor& expected = handwritten.run(inputs.at("features"));
    const ntp::Tensor actual = executable.value_f32(graph.outputs[0]);
    double max_difference = 0;
    for (std::int64_t i = 0; i < actual.elements(); ++i)
      max_difference = std::max(
          max_difference, static_cast<double>(std::fabs(actual.as<float>()[i] - expected.as<float>()[i])));

    std::vector<double> hand, off, on;
    for (int round = 0; round < args.rounds; ++round) {
      hand.push_back(
          mean_seconds_per_iteration(args.iterations, [&] { handwritten.run(inputs.at("features")); }));
      off.push_back(mean_seconds_per_iteration(args.iterations, [&] { executable.run(inputs, nullptr); }));
      on.push_back(mean_seconds_per_iteration(args.iterations, [&] { executable.run(inputs, &observer); }));
    }
    const double hand_ms = ntp::profile::summarize(hand).median * 1e3;
    const double off_ms = ntp::profile::summarize(off).median * 1e3;
    const double on_ms = ntp::profile::summarize(on).median * 1e3;
    fmt::print("{:>5}  {:>12.2f}  {:>12.2f}  {:>12.2f}  {:>9.3f}  {:>9.3f}  {:>10.2g}\n", batch, hand_ms,
               off_ms, on_ms, off_ms / hand_ms, on_ms / hand_ms, max_difference);
  }
  return 0;
}
