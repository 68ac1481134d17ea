#include "runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "profile/callgrind_observer.h"
#include "profile/counter_observer.h"
#include "profile/counter_schedule.h"
#include "profile/nvtx_observer.h"
#include "profile/observer_chain.h"
#include "profile/papi_counters.h"
#include "profile/perf_control.h"
#include "profile/perf_counters.h"
#include "profile/step_timer.h"

namespace ntp::runtime {

namespace {

using profile::now_ns;

double seconds_between(std::int64_t begin_ns, std::int64_t end_ns) {
  return static_cast<double>(end_ns - begin_ns) * 1e-9;
}

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled)
      : enabled_(enabled && ::isatty(STDERR_FILENO) != 0), start_ns_(now_ns()) {}
  ~ProgressLine() {
    if (shown_) std::fputs("\r\033[K", stderr);
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(int done, int total) {
    if (!enabled_) return;
    const double elapsed = seconds_between(start_ns_, now_ns());
    if (elapsed < 2.0) return;  // only runs longer than a couple of seconds get a progress line
    shown_ = true;
    if (total > 0)
      std::fprintf(stderr, "\rntp: iteration %d/%d, %.1f s", done, total, elapsed);
    else
      std::fprintf(stderr, "\rntp: iteration %d, %.1f s", done, elapsed);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::int64_t start_ns_;
};

bool keep_going(const RunOptions& options, int done, std::int64_t start_ns) {
  if (options.time_seconds > 0) return done < 3 || seconds_between(start_ns, now_ns()) < options.time_seconds;
  return done < options.iterations;
}

// Feeds one stream's executable its input sets in order, starting the stream over at the first chunk.
class InputCycle {
 public:
  InputCycle(Executable& executable, const std::vector<InputSet>& inputs)
      : executable_(executable), inputs_(inputs) {}
  void run(Observer* observer) {
    if (position_ == 0 && inputs_.size() > 1) executable_.reset_stream();
    executable_.run(inputs_[position_], observer);
    position_ = (position_ + 1) % inputs_.size();
  }
  void restart() { position_ = 0; }

 private:
  Executable& executable_;
  const std::vector<InputSet>& inputs_;
  std::size_t position_ = 0;
};

// The step ranges of the named segments; the names were checked against the graph before the relaunch.
profile::ToolRegions tool_regions(const Measurements& measured, const std::vector<std::string>& names) {
  std::vector<std::pair<int, int>> ranges;
  for (const std::string& name : names)
    for (const auto& [first, last] : measured.segment_steps)
      if (measured.steps[static_cast<std::size_t>(first)].name == name) ranges.emplace_back(first, last);
  if (ranges.size() < names.size())
    throw std::runtime_error("a --region names no segment of the compiled graph");
  return profile::ToolRegions(std::move(ranges));
}

}  // namespace

Measurements measure(std::vector<Executable*> executables, const Backend& backend,
                     const std::vector<InputSet>& inputs, const RunOptions& options) {
  Measurements result;
  Executable& main = *executables.front();
  result.steps = main.steps();
  const std::size_t step_count = result.steps.size();
  result.timer_overhead_ns = profile::calibrate_timer_overhead_ns();
  const int streams = static_cast<int>(executables.size());
  const int threads_per_stream = options.threads > 0 ? std::max(1, options.threads / streams) : 0;
  backend.set_threads(threads_per_stream);

  // Cold: the very first inference, with whatever first-touch and lazy initialisation it pays.
  InputCycle main_inputs(main, inputs);
  // Memory is read around each step of the cold inference and of the last warm-up iteration only: reading it
  // costs microseconds that the measured iterations must not pay.
  std::optional<profile::MemoryObserver> memory;
  if (options.layer_timing) memory.emplace(step_count);
  result.memory_before = profile::read_memory();
  std::int64_t start = now_ns();
  main_inputs.run(memory ? &*memory : nullptr);
  result.cold_seconds = seconds_between(start, now_ns());
  if (memory) result.cold_memory = memory->deltas();
  main_inputs.restart();
  for (int i = 0; i < options.warmup; ++i)
    main_inputs.run(memory && i + 1 == options.warmup ? &*memory : nullptr);
  if (memory && options.warmup > 0) result.warm_memory = memory->deltas();
  main_inputs.restart();
  for (std::size_t s = 0; s < step_count; ++s) {
    if (result.steps[s].kind != Step::Kind::segment_begin) continue;
    for (std::size_t e = s + 1; e < step_count; ++e) {
      if (result.steps[e].kind == Step::Kind::segment_end && result.steps[e].name == result.steps[s].name) {
        result.segment_steps.emplace_back(static_cast<int>(s), static_cast<int>(e));
        break;
      }
    }
  }
  if (options.layer_timing) {
    result.step_seconds.assign(step_count, {});
    result.step_library_ms.assign(step_count, {});
    result.segment_seconds.assign(result.segment_steps.size(), {});
  }

  // Counters open after warm-up, when the library's worker threads exist, and count stream 0.
  std::unique_ptr<profile::ScheduledCounters> counters;
  if (!options.counters.empty()) {
    std::vector<std::unique_ptr<profile::CounterSource>> groups;
    if (options.tool == "papi") {
      groups.push_back(profile::make_papi_counters(options.counters));
    } else {
      for (const auto& group : profile::schedule_counter_groups(options.counters, options.counter_group_size))
        groups.push_back(std::make_unique<profile::PerfCounters>(group));
    }
    counters = std::make_unique<profile::ScheduledCounters>(std::move(groups), step_count);
    result.counters.events = counters->events();
    for (const auto& missing : counters->unavailable())
      result.counters.unavailable.emplace_back(missing.name, missing.reason);
    result.counters.threads = counters->threads();
    result.counters.groups = counters->groups();
    result.counters.step_values.assign(step_count,
                                       std::vector<std::vector<double>>(counters->events().size()));
  }

  const profile::ToolRegions regions = tool_regions(result, options.tool_regions);
  std::optional<profile::PerfControl> perf_control;
  if (options.tool == "perf") perf_control.emplace(options.perf_control);

  std::mutex merge;
  const std::int64_t measure_start = now_ns();
  auto stream_loop = [&](int stream) {
    InputCycle other_inputs(*executables[static_cast<std::size_t>(stream)], inputs);
    InputCycle& cycle = stream == 0 ? main_inputs : other_inputs;
    if (stream > 0) {
      backend.set_threads(threads_per_stream);  // thread-local in OpenMP: set it on this thread
      for (int i = 0; i < options.warmup; ++i)
        cycle.run(nullptr);
      cycle.restart();
    }
    profile::StepTimer timer(step_count);
    const bool timed = options.layer_timing && stream == 0;
    const bool counted = counters != nullptr && stream == 0;
    std::vector<Observer*> observers;
    // NVTX outermost: a tool's range handling stays out of every other observer's figures.
    std::optional<profile::NvtxObserver> nvtx;
    if (profile::nvtx_built() && options.layer_timing) observers.push_back(&nvtx.emplace(result.steps));
    if (counted) observers.push_back(counters.get());
    if (options.layer_timing) observers.push_back(&timer);
    // The external tool innermost, so that it sees the layer and not the other observers.
    std::optional<profile::CallgrindObserver> callgrind;
    std::optional<profile::PerfControlObserver> perf;
    if (options.tool == "callgrind" && stream == 0) observers.push_back(&callgrind.emplace(regions));
    if (perf_control && stream == 0)
      observers.push_back(&perf.emplace(*perf_control, regions, static_cast<int>(step_count) - 1));
    profile::ObserverChain chain(observers);
    Observer* observer = observers.empty() ? nullptr : observers.size() == 1 ? observers.front() : &chain;
    ProgressLine progress(options.progress && stream == 0);
    std::vector<double> latencies;
    std::vector<TraceEvent> events;
    int done = 0;
    while (keep_going(options, done, measure_start)) {
      if (counted) counters->start_iteration(done);
      const std::int64_t begin = now_ns();
      cycle.run(observer);
      const std::int64_t end = now_ns();
      latencies.push_back(seconds_between(begin, end));
      if (timed) {
        for (std::size_t s = 0; s < step_count; ++s)
          result.step_seconds[s].push_back(seconds_between(timer.begin_ns(s), timer.end_ns(s)));
        for (std::size_t s = 0; s < step_count; ++s)
          if (const auto library_ms = main.library_time_ms(static_cast<int>(s)))
            result.step_library_ms[s].push_back(*library_ms);
        for (std::size_t g = 0; g < result.segment_steps.size(); ++g) {
          const auto [first, last] = result.segment_steps[g];
          result.segment_seconds[g].push_back(seconds_between(
              timer.end_ns(static_cast<std::size_t>(first)), timer.begin_ns(static_cast<std::size_t>(last))));
        }
      }
      if (counted) counters->collect(result.counters.step_values);
      if (options.layer_timing && done < options.trace_iterations) {
        for (std::size_t s = 0; s < step_count; ++s)
          events.push_back({static_cast<int>(s), done, stream,
                            static_cast<double>(timer.begin_ns(s) - measure_start) * 1e-3,
                            static_cast<double>(timer.end_ns(s) - measure_start) * 1e-3});
      }
      ++done;
      progress.update(done, options.time_seconds > 0 ? 0 : options.iterations);
    }
    const std::lock_guard<std::mutex> lock(merge);
    if (counted) result.counters.running_fraction = counters->running_fraction();
    result.latency_seconds.insert(result.latency_seconds.end(), latencies.begin(), latencies.end());
    result.timeline.insert(result.timeline.end(), events.begin(), events.end());
    result.inferences += static_cast<std::size_t>(done);
  };

  if (streams == 1) {
    stream_loop(0);
  } else {
    std::vector<std::thread> threads;
    for (int stream = 0; stream < streams; ++stream)
      threads.emplace_back(stream_loop, stream);
    for (auto& thread : threads)
      thread.join();
  }
  result.wall_seconds = seconds_between(measure_start, now_ns());
  result.memory_after = profile::read_memory();
  counters.reset();  // disables the counting group
  return result;
}

}  // namespace ntp::runtime
