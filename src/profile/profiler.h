// Profilers as plug-ins: everything that watches a run besides the runner's own per-step timer (perf_event
// and PAPI counters, the memory readings, NVTX ranges, perf's control fifos, callgrind's collection
// toggles, or a test's own) is a Profiler. The runner hands each the run's steps, asks each for an
// observer per phase and stream, calls it around every observed inference, and at the end lets each put
// what it collected into Results. The runner names none of them; make_profilers (profilers.h) chooses
// them from what the command line asked for.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ntp/executable.h"
#include "ntp/observer.h"
#include "profile/memory_observer.h"

namespace ntp::profile {

// The inferences a run observes. Warm-up inferences other than stream 0's last one, and every warm-up
// inference of the other streams, run with no observer at all.
enum class Phase {
  cold,      // stream 0's first inference (first touch, lazy initialisation)
  warm,      // stream 0's last warm-up inference, when there is warm-up
  measured,  // the measured iterations, on every stream
};

// Where a profiler's observer sits in the chain around each step (the first begins first and ends last).
enum class Placement {
  outside_timer,  // outside the runner's step timer: what it costs stays out of the layer times
  inside_timer,   // inside it, innermost: an external tool sees the layer and not the other observers
};

// What the runner tells the profilers before the cold inference; it and what it refers to stay valid until
// the profilers' finish().
struct RunInfo {
  const std::vector<Step>& steps;
  // Per segment: the steps of its start and end marker.
  const std::vector<std::pair<int, int>>& segment_steps;
  int streams = 1;
  int warmup = 0;  // warm-up iterations of each stream
  bool layer_timing = true;
};

// Per-layer counter values as the record reads them (perf_event's or PAPI's).
struct CounterMeasurements {
  std::vector<std::string> events;                               // the events that opened
  std::vector<std::pair<std::string, std::string>> unavailable;  // (event, why not)
  std::vector<std::vector<std::vector<double>>> step_values;     // [step][event][iteration its group counted]
  std::vector<std::vector<std::string>> groups;                  // the events of each group, in turn
  double running_fraction = 1;        // below 1: the kernel multiplexed them and the values are scaled
  int threads = 0;                    // threads counted (those the process had after warm-up)
  std::string source = "perf_event";  // or "papi"
  int group_size = 4;                 // hardware events per group asked for (0: one group)
};

// What the built-in profilers hand back after the run; the runner copies it into its Measurements. A
// profiler of one's own keeps its results itself.
struct Results {
  CounterMeasurements counters;
  // Per step, stream 0, with layer timing: heap and resident-set growth in the cold inference and in the
  // last warm-up iteration (empty when there was none).
  std::vector<MemoryReading> cold_memory;
  std::vector<MemoryReading> warm_memory;
  MemoryReading memory_before;  // before the cold inference
  MemoryReading memory_after;   // after the measured iterations
};

class Profiler {
 public:
  virtual ~Profiler() = default;
  virtual std::string name() const = 0;
  virtual Placement placement() const { return Placement::outside_timer; }

  // Before the cold inference. A profiler may be used for one run at a time, and again for the next.
  virtual void start(const RunInfo& /*run*/) {}
  // After stream 0's warm-up, before any measured iteration of any stream: a library's worker threads
  // exist by now.
  virtual void before_measured() {}
  // The observer for every observed inference of `phase` on `stream`, or nullptr: called once per phase
  // and stream before its first inference; for the measured phase from that stream's own thread, so
  // concurrently for different streams. The observer stays the profiler's, valid until finish().
  virtual Observer* attach(Phase phase, int stream) = 0;
  // Around each observed inference, on the stream's own thread, outside a measured iteration's end-to-end
  // time. `iteration` is the inference's index in its phase: 0 for the cold one, warmup - 1 for the warm
  // one, from 0 up for the measured ones.
  virtual void begin_iteration(Phase /*phase*/, int /*stream*/, int /*iteration*/) {}
  virtual void end_iteration(Phase /*phase*/, int /*stream*/, int /*iteration*/) {}
  // After every stream's measured iterations: what it collected into `results`; it lets go of what it
  // holds (counters, fifos).
  virtual void finish(Results& /*results*/) {}
};

}  // namespace ntp::profile
