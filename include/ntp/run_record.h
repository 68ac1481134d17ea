// The run record: what one profiled run of a model on one back end measured, typed. Every view (console
// table, CSV, Chrome trace, HTML, compare, the results database) is written from it, and its JSON form,
// schema "ntp.run/1" (docs/report-schema.md), is what files and the database keep.
//
// The sections every run has are typed fields. Sections that a tool, an inlay or a later stage adds (the
// machine's roofline ceilings, callgrind's and perf's counts, audio, streaming, transcripts, aggregates)
// are kept as the JSON documents their writer defines, by key, in `sections` (and per node or segment in
// `extra`), so that a record written by a newer tool still round-trips.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ntp/quality.h"

namespace ntp {

inline constexpr const char* kRunRecordSchema = "ntp.run/1";

// Statistics of a set of times in milliseconds.
struct TimeStatistics {
  std::uint64_t count = 0;
  double min = 0, median = 0, mean = 0, p90 = 0, p99 = 0, max = 0, stddev = 0, cv = 0;
};

// A process's memory at one moment, or its change over a step.
struct MemoryState {
  std::int64_t heap_bytes = 0;
  std::int64_t rss_bytes = 0;
  std::int64_t peak_rss_bytes = 0;
};

struct RunContext {
  std::string host, cpu_model;
  std::vector<std::string> isa;  // the SIMD extensions present
  unsigned cores = 0;
  double memory_bytes = 0;
  std::string ntp_version, git_commit, date, command_line;
  std::string label;                             // the user's name for the run (--label), "" when none
  std::map<std::string, std::string> libraries;  // back end -> its library's version
};

struct RunTopology {
  std::string name, source;
  std::map<std::string, std::string> params;
};

struct RunSettingsRecord {
  std::string backend, precision;
  std::int64_t batch = 1;
  int threads = 0;  // 0: the library's default
  std::uint64_t seed = 1;
  std::string mode = "latency";  // latency | throughput | stream
  int streams = 1;
  int warmup = 0;
  int iterations = 0;  // the least, with a precision target
  double time_seconds = 0;
  double min_time_seconds = 0, max_time_seconds = 0;
  double precision_target = 0;  // 0: none
  bool layer_timing = true;
  int trace_iterations = 1;   // measured iterations in the timeline (-1: all)
  bool trace_warmup = false;  // the cold run and warm-up in the timeline too
};

// A distribution-free confidence interval for the median latency (profile::median_interval).
struct MedianIntervalRecord {
  double low_ms = 0, high_ms = 0;
  double coverage = 0;             // >= 0.95
  double relative_half_width = 0;  // max(median - low, high - median) / median
};

struct LatencyRecord {
  TimeStatistics ms;                                    // over the measured inferences of all streams
  double cold_ms = 0;                                   // the first inference, before warm-up
  std::optional<MedianIntervalRecord> median_interval;  // absent below 6 samples
  // iterations | time | precision target | max time | interrupted (the record is then partial)
  std::string stopped_by = "iterations";
  std::string how;
  bool partial() const { return stopped_by == "interrupted"; }
};

struct ThroughputRecord {
  double inferences_per_second = 0;
  double items_per_second = 0;
  int streams = 1;
  std::uint64_t inferences = 0;
  double wall_seconds = 0;
  std::string how;
};

struct NodeCostRecord {
  std::string descriptor;  // the canonical one-line key of the layer
  double flops = 0;
  double bytes = 0;
  std::int64_t params = 0;
};

struct NodeTiming {
  TimeStatistics ms;
  std::vector<double> samples_ms;
  double share = 0;  // median / end-to-end median
  // Derived: the cost model over the measured median (absent without a cost or with a zero median).
  std::optional<double> gflops_per_second, gbytes_per_second;
};

// The library's own timer for a node (OpenCV's layer ticks).
struct LibraryTime {
  double median = 0;
  std::uint64_t count = 0;
  std::string statistic = "median";
  std::string how;
};

struct NodeRecord {
  std::uint64_t step = 0;  // index among the executable's steps
  std::string name, op;
  std::string kind;  // layer | inlay | convert
  std::string backend, implementation;
  std::string precision;  // what it computed at: its own (backend=/--place), else the run's; fp32 on fallback
  bool fallback = false;
  std::optional<NodeCostRecord> cost;
  std::optional<NodeTiming> time;  // with layer timing
  std::optional<MemoryState> cold_memory, warm_memory;
  std::optional<LibraryTime> library_time;
  // With counters: event -> median per inference, and the ratios derived from them.
  std::optional<std::map<std::string, double>> counters, derived;
  nlohmann::json extra = nlohmann::json::object();  // what later stages add: "bound", "callgrind", ...
};

struct SegmentRecord {
  std::string name, tool;
  std::vector<std::string> layers;
  std::optional<TimeStatistics> time_ms;
  double share = 0;
  nlohmann::json extra = nlohmann::json::object();  // "bound", "callgrind", "perf"
};

struct InstrumentationRecord {
  bool layer_timing = false;
  double timer_overhead_ns_per_step = 0;
  std::uint64_t steps = 0;
  // With layer timing.
  std::optional<double> overhead_ms_per_inference, residual_ms, residual_share;
  std::string how;
};

struct CounterUnavailable {
  std::string event, reason;
};

struct CountersRecord {
  std::vector<std::string> events;
  std::vector<CounterUnavailable> unavailable;
  int threads = 0;
  double running_fraction = 1;
  std::string source;  // perf_event | papi
  std::vector<std::vector<std::string>> groups;
  std::string scheduling, how;
};

struct MemoryRecord {
  MemoryState before, after;
  std::string how;
  // The bound on the run's allocations NTP checked against the available memory before it allocated
  // (run_memory_bytes); 0 in records written before it was kept.
  double estimate_bytes = 0;
};

struct TimelineEvent {
  std::string phase = "measured";  // cold | warm-up | measured
  std::string name;
  std::string kind;  // layer | convert | marker
  int iteration = 0;
  int stream = 0;
  double begin_us = 0, end_us = 0;
};

struct RunRecord {
  RunContext context;
  RunTopology topology;
  RunSettingsRecord options;
  double compile_seconds = 0;
  LatencyRecord latency;
  ThroughputRecord throughput;
  std::vector<double> latency_samples_ms;
  std::vector<NodeRecord> nodes;
  std::vector<SegmentRecord> segments;
  InstrumentationRecord instrumentation;
  std::optional<CountersRecord> counters;
  MemoryRecord memory;
  std::optional<QualityRecord> quality;  // absent in records written before it was kept
  std::vector<TimelineEvent> timeline;
  std::map<std::string, nlohmann::json> sections;  // key -> the section its writer defines

  const NodeRecord* find_node(const std::string& name) const;

  nlohmann::json to_json() const;
  // Throws UserError when `json` is not an ntp.run/1 record (naming the key that is wrong).
  static RunRecord from_json(const nlohmann::json& json);
};

}  // namespace ntp
