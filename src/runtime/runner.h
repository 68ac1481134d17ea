// Measuring a compiled graph: warm-up, cold first inference, timed iterations (latency mode) or concurrent
// streams (throughput mode), with or without per-step timing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ntp/executable.h"
#include "profile/memory_observer.h"

namespace ntp::runtime {

struct RunOptions {
  int warmup = 2;
  int iterations = 10;      // measured iterations (per stream in throughput mode)
  double time_seconds = 0;  // > 0: run iterations until this much time has passed (at least 3)
  bool throughput = false;  // latency mode otherwise
  int streams = 1;          // concurrent streams in throughput mode
  int threads = 0;          // threads in all; split between streams
  bool layer_timing = true;
  bool progress = false;     // a progress line on stderr for long runs
  int trace_iterations = 1;  // iterations kept as a timeline for the Chrome trace
  // Counters read at every step (stream 0): perf_event's by name as libpfm4 knows them, or PAPI's with
  // tool "papi"; empty: none.
  std::vector<std::string> counters;
  // Hardware events per counter group (0: all in one); more groups take turns over the measured iterations.
  int counter_group_size = 4;
  // "papi" reads the counters through PAPI, in this process. The external tool this process was
  // relaunched under (--tool, in the child): "callgrind" collects
  // inside each step of stream 0 and dumps its counts per step; "perf" switches `perf stat` on and off
  // through its control fifos ("CTL,ACK" in perf_control). Either sees only the steps of tool_regions
  // (segment names; empty: every step) in the measured iterations.
  std::string tool;
  std::vector<std::string> tool_regions;
  std::string perf_control;
};

struct CounterMeasurements {
  std::vector<std::string> events;                               // the events that opened
  std::vector<std::pair<std::string, std::string>> unavailable;  // (event, why not)
  std::vector<std::vector<std::vector<double>>> step_values;     // [step][event][iteration its group counted]
  std::vector<std::vector<std::string>> groups;                  // the events of each group, in turn
  double running_fraction = 1;  // below 1: the kernel multiplexed them and the values are scaled
  int threads = 0;              // threads counted (those the process had after warm-up)
};

struct TraceEvent {
  int step = 0;
  int iteration = 0;
  int stream = 0;
  double begin_us = 0;  // since the start of the measured run
  double end_us = 0;
};

struct Measurements {
  std::vector<Step> steps;
  double cold_seconds = 0;                        // the first inference, before warm-up
  std::vector<double> latency_seconds;            // end to end, every measured iteration of every stream
  std::vector<std::vector<double>> step_seconds;  // [step][iteration], stream 0; empty without layer timing
  // [step][iteration], stream 0: the library's own time (Kernel::library_time_ms) for steps whose kernel
  // keeps one, empty for the others; empty without layer timing.
  std::vector<std::vector<double>> step_library_ms;
  // Per segment (begin step, end step): from the end of its start marker to the beginning of its end
  // marker, per iteration; empty without layer timing.
  std::vector<std::vector<double>> segment_seconds;
  std::vector<std::pair<int, int>> segment_steps;
  double timer_overhead_ns = 0;  // one begin/end pair, calibrated
  double wall_seconds = 0;       // measured phase, all streams together
  std::size_t inferences = 0;    // measured inferences, all streams
  std::vector<TraceEvent> timeline;
  CounterMeasurements counters;
  // Per step, stream 0, with layer timing: heap and resident-set growth in the cold inference and in the
  // last warm-up iteration (empty when there was none).
  std::vector<profile::MemoryReading> cold_memory;
  std::vector<profile::MemoryReading> warm_memory;
  profile::MemoryReading memory_before;  // before the cold inference
  profile::MemoryReading memory_after;   // after the measured iterations
};

using InputSet = std::map<std::string, Tensor>;

// Runs `executables` (one per stream; a single one in latency mode). `inputs` holds one input set, used
// by every run, or (streaming) the chunks of an utterance, fed in order and again from the first, with
// the executable's stream state reset before each first chunk; every run is one measured iteration.
Measurements measure(std::vector<Executable*> executables, const Backend& backend,
                     const std::vector<InputSet>& inputs, const RunOptions& options);

}  // namespace ntp::runtime
