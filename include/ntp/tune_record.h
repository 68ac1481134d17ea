// The tune record: what `ntp tune` measured and chose. Each configuration (a back end at a precision) run
// whole, each layer's time on each, the conversions between element types, the placements the search
// predicted best, and those placements run end to end against the best single configuration. Its JSON form is
// "ntp.tune/1" (docs/report-schema.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ntp {

inline constexpr const char* kTuneRecordSchema = "ntp.tune/1";

struct TuneSettings {
  std::vector<std::string> backends, precisions;
  std::string objective = "latency";  // latency | latency-p99 | throughput
  std::optional<double> max_latency_ms, max_error;
  int rounds = 3, iterations = 10, warmup = 2, threads = 0, streams = 1;
  std::string mode = "latency";  // of the end-to-end runs: throughput for the throughput objective
  std::uint64_t seed = 1;
};

// One end-to-end measurement: all rounds' samples together.
struct TuneMeasurement {
  double median_ms = 0, p99_ms = 0;
  double items_per_second = 0;  // throughput mode's
  double objective = 0;         // the objective's value: ms (less is better) or items/s (more is better)
  std::int64_t samples = 0;
};

struct TuneConfig {
  std::string name;  // "onednn:fp32"
  std::string backend, precision;
  TuneMeasurement measured;  // its run with layer timing, which gave the layers' times
  double predicted_ms = 0;   // its layers' times and conversions, as the search adds them
};

struct TuneLayer {
  std::string name, op;
  std::vector<std::optional<double>> time_ms;  // per configuration, in `configs` order
};

// A value converted between element types where neighbouring layers run at different ones, timed here.
struct TuneConversion {
  std::string from, to;  // element types
  std::int64_t elements = 0;
  double ms = 0;
};

struct TuneCandidate {
  std::string name;                                            // what it is ("mixed", "onednn:fp32", ...)
  std::vector<std::pair<std::string, std::string>> placement;  // layer -> configuration, in layer order
  double predicted_ms = 0;
  std::optional<TuneMeasurement> measured;
  std::optional<double> prediction_error;  // (measured - predicted) / measured, on the median latency
  std::optional<double> p_value;           // Mann-Whitney U against the baseline's samples
  std::optional<double> output_error;      // with --max-error: the outputs' largest normalised error
  bool baseline = false;                   // the best single configuration
  std::string rejected;                    // why a constraint rules it out ("" = it meets them)
};

struct TuneRecord {
  std::string topology, file, host;
  TuneSettings settings;
  std::vector<TuneConfig> configs;
  std::vector<TuneLayer> layers;
  std::vector<TuneConversion> conversions;
  std::string search;                     // how the placement was searched (exact for a chain)
  std::vector<TuneCandidate> candidates;  // best measured first
  int winner = -1;                        // index in candidates; -1: none meets the constraints
  std::string verdict;                    // one sentence: what to run, and why

  nlohmann::json to_json() const;
  static TuneRecord from_json(const nlohmann::json& json);  // throws UserError
};

}  // namespace ntp
