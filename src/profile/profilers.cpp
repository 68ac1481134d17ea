#include "profile/profilers.h"

#include <optional>
#include <stdexcept>

#include "profile/callgrind_observer.h"
#include "profile/counter_schedule.h"
#include "profile/memory_observer.h"
#include "profile/nvtx_observer.h"
#include "profile/papi_counters.h"
#include "profile/perf_control.h"
#include "profile/perf_counters.h"
#include "profile/tool_regions.h"

namespace ntp::profile {

namespace {

// Heap and resident set around each step of the cold inference and of the last warm-up iteration, never
// the measured ones (a reading costs microseconds), and for the whole process before and after the run.
class MemoryProfiler final : public Profiler {
 public:
  std::string name() const override { return "memory"; }
  void start(const RunInfo& run) override {
    cold_.clear();
    warm_.clear();
    observer_.reset();
    if (run.layer_timing) observer_.emplace(run.steps.size());
    before_ = read_memory();
  }
  Observer* attach(Phase phase, int stream) override {
    if (phase == Phase::measured || stream != 0 || !observer_) return nullptr;
    return &*observer_;
  }
  void end_iteration(Phase phase, int /*stream*/, int /*iteration*/) override {
    if (!observer_) return;
    if (phase == Phase::cold) cold_ = observer_->deltas();
    if (phase == Phase::warm) warm_ = observer_->deltas();
  }
  void finish(Results& results) override {
    results.cold_memory = std::move(cold_);
    results.warm_memory = std::move(warm_);
    results.memory_before = before_;
    results.memory_after = read_memory();
    observer_.reset();
  }

 private:
  std::optional<MemoryObserver> observer_;
  std::vector<MemoryReading> cold_;
  std::vector<MemoryReading> warm_;
  MemoryReading before_;
};

// NVTX ranges around every layer and segment of the measured iterations, on every stream's thread.
class NvtxProfiler final : public Profiler {
 public:
  std::string name() const override { return "nvtx"; }
  void start(const RunInfo& run) override {
    steps_ = &run.steps;
    layer_timing_ = run.layer_timing;
    ranges_.clear();
    ranges_.resize(static_cast<std::size_t>(run.streams));  // one slot per stream: each thread fills its own
  }
  Observer* attach(Phase phase, int stream) override {
    if (phase != Phase::measured || !layer_timing_) return nullptr;
    auto& slot = ranges_[static_cast<std::size_t>(stream)];
    slot = std::make_unique<NvtxObserver>(*steps_);
    return slot.get();
  }
  void finish(Results& /*results*/) override { ranges_.clear(); }

 private:
  const std::vector<Step>* steps_ = nullptr;
  bool layer_timing_ = true;
  std::vector<std::unique_ptr<NvtxObserver>> ranges_;
};

// Per-layer counters on stream 0, through perf_event (in groups that take turns over the measured
// iterations) or through PAPI. They open after warm-up, when the library's worker threads exist.
class CounterProfiler final : public Profiler {
 public:
  CounterProfiler(std::vector<std::string> events, int group_size, bool papi)
      : events_(std::move(events)), group_size_(group_size), papi_(papi) {}
  std::string name() const override { return papi_ ? "papi" : "perf_event"; }
  void start(const RunInfo& run) override {
    steps_ = run.steps.size();
    counters_.reset();
    measured_ = {};
  }
  void before_measured() override {
    std::vector<std::unique_ptr<CounterSource>> groups;
    if (papi_) {
      groups.push_back(make_papi_counters(events_));
    } else {
      for (const auto& group : schedule_counter_groups(events_, group_size_))
        groups.push_back(std::make_unique<PerfCounters>(group));
    }
    counters_ = std::make_unique<ScheduledCounters>(std::move(groups), steps_);
    measured_.events = counters_->events();
    for (const auto& missing : counters_->unavailable())
      measured_.unavailable.emplace_back(missing.name, missing.reason);
    measured_.threads = counters_->threads();
    measured_.groups = counters_->groups();
    measured_.step_values.assign(steps_, std::vector<std::vector<double>>(counters_->events().size()));
    measured_.source = papi_ ? "papi" : "perf_event";
    measured_.group_size = group_size_;
  }
  Observer* attach(Phase phase, int stream) override {
    return phase == Phase::measured && stream == 0 ? counters_.get() : nullptr;
  }
  void begin_iteration(Phase phase, int stream, int iteration) override {
    if (phase == Phase::measured && stream == 0) counters_->start_iteration(iteration);
  }
  void end_iteration(Phase phase, int stream, int /*iteration*/) override {
    if (phase == Phase::measured && stream == 0) counters_->collect(measured_.step_values);
  }
  void finish(Results& results) override {
    measured_.running_fraction = counters_->running_fraction();
    results.counters = std::move(measured_);
    counters_.reset();  // disables the counting group
  }

 private:
  std::vector<std::string> events_;
  int group_size_;
  bool papi_;
  std::size_t steps_ = 0;
  std::unique_ptr<ScheduledCounters> counters_;
  CounterMeasurements measured_;
};

// The step ranges of the named segments; the names were checked against the graph before the relaunch.
ToolRegions tool_regions(const RunInfo& run, const std::vector<std::string>& names) {
  std::vector<std::pair<int, int>> ranges;
  for (const std::string& name : names)
    for (const auto& [first, last] : run.segment_steps)
      if (run.steps[static_cast<std::size_t>(first)].name == name) ranges.emplace_back(first, last);
  if (ranges.size() < names.size())
    throw std::runtime_error("a --region names no segment of the compiled graph");
  return ToolRegions(std::move(ranges));
}

// The process runs under callgrind (the relaunched child): collection on inside each step of the regions
// on stream 0, in the measured iterations, and each step's counts dumped.
class CallgrindProfiler final : public Profiler {
 public:
  explicit CallgrindProfiler(std::vector<std::string> regions) : region_names_(std::move(regions)) {}
  std::string name() const override { return "callgrind"; }
  Placement placement() const override { return Placement::inside_timer; }
  void start(const RunInfo& run) override {
    run_ = &run;
    observer_.reset();
  }
  void before_measured() override { regions_ = tool_regions(*run_, region_names_); }
  Observer* attach(Phase phase, int stream) override {
    if (phase != Phase::measured || stream != 0) return nullptr;
    return &observer_.emplace(regions_);  // starts callgrind's instrumentation
  }
  void finish(Results& /*results*/) override { observer_.reset(); }

 private:
  std::vector<std::string> region_names_;
  const RunInfo* run_ = nullptr;
  ToolRegions regions_;
  std::optional<CallgrindObserver> observer_;
};

// The process runs under `perf stat --control` (the relaunched child): perf switched on when the first
// region opens on stream 0 and off when the last closes, in the measured iterations.
class PerfControlProfiler final : public Profiler {
 public:
  PerfControlProfiler(std::vector<std::string> regions, std::string fifos)
      : region_names_(std::move(regions)), fifos_(std::move(fifos)) {}
  std::string name() const override { return "perf"; }
  Placement placement() const override { return Placement::inside_timer; }
  void start(const RunInfo& run) override {
    run_ = &run;
    observer_.reset();
    control_.reset();
  }
  void before_measured() override {
    regions_ = tool_regions(*run_, region_names_);
    control_.emplace(fifos_);
  }
  Observer* attach(Phase phase, int stream) override {
    if (phase != Phase::measured || stream != 0) return nullptr;
    return &observer_.emplace(*control_, regions_, static_cast<int>(run_->steps.size()) - 1);
  }
  void finish(Results& /*results*/) override {
    observer_.reset();
    control_.reset();
  }

 private:
  std::vector<std::string> region_names_;
  std::string fifos_;
  const RunInfo* run_ = nullptr;
  ToolRegions regions_;
  std::optional<PerfControl> control_;
  std::optional<PerfControlObserver> observer_;
};

}  // namespace

std::vector<std::shared_ptr<Profiler>> make_profilers(const ProfilerRequest& request) {
  std::vector<std::shared_ptr<Profiler>> profilers;
  profilers.push_back(std::make_shared<MemoryProfiler>());
  // NVTX outermost of the measured observers: a tool's range handling stays out of every other figure.
  if (nvtx_built()) profilers.push_back(std::make_shared<NvtxProfiler>());
  if (!request.counters.empty())
    profilers.push_back(std::make_shared<CounterProfiler>(request.counters, request.counter_group_size,
                                                          request.tool == "papi"));
  // The external tool innermost, so that it sees the layer and not the other observers.
  if (request.tool == "callgrind")
    profilers.push_back(std::make_shared<CallgrindProfiler>(request.tool_regions));
  if (request.tool == "perf")
    profilers.push_back(std::make_shared<PerfControlProfiler>(request.tool_regions, request.perf_control));
  return profilers;
}

}  // namespace ntp::profile
