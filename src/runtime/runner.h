// Measuring a compiled graph: warm-up, cold first inference, timed iterations (latency mode) or concurrent
// streams (throughput mode), with or without per-step timing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ntp/executable.h"
#include "ntp/run_control.h"
#include "profile/profiler.h"
#include "profile/quality.h"

namespace ntp::runtime {

struct RunOptions {
  int warmup = 2;
  StoppingRule stopping;    // iterations counted per stream in throughput mode
  bool throughput = false;  // latency mode otherwise
  int streams = 1;          // concurrent streams in throughput mode
  int threads = 0;          // threads in all; split between streams
  bool layer_timing = true;
  RunControl control;
  int trace_iterations = 1;   // measured iterations kept as a timeline for the Chrome trace (-1: all)
  bool trace_warmup = false;  // the cold run and the warm-up iterations too (timed step by step then)
  // What watches the run besides the per-step timer (profile::make_profilers chooses them); their observers
  // nest in this order on each side of the timer (profile::Placement). Empty: nothing but the timer.
  std::vector<std::shared_ptr<profile::Profiler>> profilers;
};

using CounterMeasurements = profile::CounterMeasurements;

enum class TracePhase { cold, warmup, measured };
const char* trace_phase_name(TracePhase phase);

struct TraceEvent {
  TracePhase phase = TracePhase::measured;
  int step = 0;
  int iteration = 0;
  int stream = 0;
  double begin_us = 0;  // since the start of the measured run (of the cold run, with trace_warmup)
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
  bool timeline_truncated = false;  // limits::kMaxTraceEvents reached: later iterations are not in it
  CounterMeasurements counters;
  // Per step, stream 0, with layer timing: heap and resident-set growth in the cold inference and in the
  // last warm-up iteration (empty when there was none).
  std::vector<profile::MemoryReading> cold_memory;
  std::vector<profile::MemoryReading> warm_memory;
  profile::MemoryReading memory_before;            // before the cold inference
  profile::MemoryReading memory_after;             // after the measured iterations
  profile::PhaseUsage measured_usage;              // context switches and CPU time in the measured phase
  std::optional<double> load_average;              // at its end
  StopReason stopped_by = StopReason::iterations;  // stream 0's
};

using InputSet = std::map<std::string, Tensor>;

// Runs `executables` (one per stream; a single one in latency mode). `inputs` holds one input set, used
// by every run, or (streaming) the chunks of an utterance, fed in order and again from the first, with
// the executable's stream state reset before each first chunk; every run is one measured iteration.
// Throws Interrupted when options.control.stop is set before the first measured iteration ends.
Measurements measure(std::vector<Executable*> executables, const Backend& backend,
                     const std::vector<InputSet>& inputs, const RunOptions& options);

}  // namespace ntp::runtime
