// What the fidelity benchmarks share (NTP against the same network written by hand in the back end's
// library): their command line, the DeepSpeech graph they load, and the interleaved rounds whose medians
// they print, so drift on a shared machine hits both sides alike.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "ntp/topology.h"
#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace ntp::bench {

struct FidelityArguments {
  int rounds = 5;
  int iterations = 2;
  int threads = 0;
  int hidden = 2048;
  std::vector<int> batches = {1};
  std::string precision = "fp32";
};

// --rounds R --iterations K --threads N --hidden H --batches 1,16 --precision fp32|bf16, over `defaults`.
inline FidelityArguments parse_fidelity_arguments(int argc, char** argv, FidelityArguments args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--rounds") {
      args.rounds = std::stoi(value);
    } else if (key == "--iterations") {
      args.iterations = std::stoi(value);
    } else if (key == "--threads") {
      args.threads = std::stoi(value);
    } else if (key == "--hidden") {
      args.hidden = std::stoi(value);
    } else if (key == "--precision") {
      args.precision = value;
    } else if (key == "--batches") {
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

// examples/deepspeech-v0.1.xml at this size; exits with the diagnostic if it does not load.
inline Graph load_deepspeech(int hidden, int batch) {
  LoadOptions options;
  options.overrides = {{"hidden", std::to_string(hidden)}, {"batch", std::to_string(batch)}};
  auto loaded = load_topology(std::string(NTP_SOURCE_DIR) + "/examples/deepspeech-v0.1.xml", options);
  if (!loaded.ok()) {
    fmt::print(stderr, "{}\n", loaded.error().to_string());
    std::exit(2);
  }
  return std::move(loaded.value());
}

inline void print_fidelity_header(const FidelityArguments& args) {
  fmt::print(
      "DeepSpeech v0.1 (hidden {}), {}, {} threads, median of {} rounds x {} iterations, interleaved\n\n",
      args.hidden, args.precision, args.threads > 0 ? std::to_string(args.threads) : std::string("default"),
      args.rounds, args.iterations);
  fmt::print("{:>5}  {:>12}  {:>12}  {:>12}  {:>9}  {:>9}  {:>10}\n", "batch", "hand ms", "ntp off ms",
             "ntp on ms", "off/hand", "on/hand", "max |diff|");
}

// Rounds of `iterations` runs of each side in turn (hand-written, NTP without and with layer timing);
// prints the medians over rounds of the mean time per run and the ratios to the hand-written one.
inline void run_interleaved_rounds(const FidelityArguments& args, int batch, double max_difference,
                                   const std::function<void()>& hand, const std::function<void()>& ntp_off,
                                   const std::function<void()>& ntp_on) {
  const auto mean_seconds = [&](const std::function<void()>& body) {
    const std::int64_t start = profile::now_ns();
    for (int i = 0; i < args.iterations; ++i)
      body();
    return static_cast<double>(profile::now_ns() - start) * 1e-9 / args.iterations;
  };
  std::vector<double> hand_seconds, off_seconds, on_seconds;
  for (int round = 0; round < args.rounds; ++round) {
    hand_seconds.push_back(mean_seconds(hand));
    off_seconds.push_back(mean_seconds(ntp_off));
    on_seconds.push_back(mean_seconds(ntp_on));
  }
  const double hand_ms = profile::summarize(hand_seconds).median * 1e3;
  const double off_ms = profile::summarize(off_seconds).median * 1e3;
  const double on_ms = profile::summarize(on_seconds).median * 1e3;
  fmt::print("{:>5}  {:>12.2f}  {:>12.2f}  {:>12.2f}  {:>9.3f}  {:>9.3f}  {:>10.2g}\n", batch, hand_ms,
             off_ms, on_ms, off_ms / hand_ms, on_ms / hand_ms, max_difference);
}

}  // namespace ntp::bench
