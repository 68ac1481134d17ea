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

#include "fidelity_harness.h"
#include "handwritten_deepspeech.h"
#include "ntp/executable.h"
#include "ntp/registry.h"
#include "ntp/topology.h"
#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace {

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
  ntp::bench::FidelityArguments defaults;
  defaults.rounds = 7;
  defaults.iterations = 3;
  defaults.batches = {1, 16};
  const ntp::bench::FidelityArguments args = ntp::bench::parse_fidelity_arguments(argc, argv, defaults);
  const ntp::Backend* backend = ntp::find_backend("onednn");
  if (backend == nullptr) {
    fmt::print(stderr, "this build has no onednn back end\n");
    return 2;
  }
  ntp::bench::print_fidelity_header(args);
  for (const int batch : args.batches) {
    const ntp::Graph graph = ntp::bench::load_deepspeech(args.hidden, batch);
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

    ntp::bench::run_interleaved_rounds(
        args, batch, max_difference, [&] { handwritten.run(inputs.at("features")); },
        [&] { executable.run(inputs, nullptr); }, [&] { executable.run(inputs, &observer); });
  }
  return 0;
}
