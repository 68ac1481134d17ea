#include "runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "profile/observer_chain.h"
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

using Profilers = std::vector<std::shared_ptr<profile::Profiler>>;

// The profilers' observers for one phase of one stream, as one: those outside the runner's step timer (in
// the profilers' order), the timer when there is one, then those inside it; nullptr when there are none,
// and a single observer as it is, so that a run with nothing but the timer calls only the timer.
class PhaseObservers {
 public:
  PhaseObservers(const Profilers& profilers, profile::Phase phase, int stream, Observer* timer) {
    std::vector<Observer*> inside;
    for (const auto& profiler : profilers)
      if (Observer* observer = profiler->attach(phase, stream))
        (profiler->placement() == profile::Placement::inside_timer ? inside : observers_).push_back(observer);
    if (timer != nullptr) observers_.push_back(timer);
    observers_.insert(observers_.end(), inside.begin(), inside.end());
    if (observers_.size() > 1) chain_.emplace(observers_);
  }
  Observer* get() {
    if (chain_) return &*chain_;
    return observers_.empty() ? nullptr : observers_.front();
  }

 private:
  std::vector<Observer*> observers_;
  std::optional<profile::ObserverChain> chain_;
};

void begin_iteration(const Profilers& profilers, profile::Phase phase, int stream, int iteration) {
  for (const auto& profiler : profilers)
    profiler->begin_iteration(phase, stream, iteration);
}

void end_iteration(const Profilers& profilers, profile::Phase phase, int stream, int iteration) {
  for (const auto& profiler : profilers)
    profiler->end_iteration(phase, stream, iteration);
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
  for (std::size_t s = 0; s < step_count; ++s) {
    if (result.steps[s].kind != Step::Kind::segment_begin) continue;
    for (std::size_t e = s + 1; e < step_count; ++e) {
      if (result.steps[e].kind == Step::Kind::segment_end && result.steps[e].name == result.steps[s].name) {
        result.segment_steps.emplace_back(static_cast<int>(s), static_cast<int>(e));
        break;
      }
    }
  }
  const Profilers& profilers = options.profilers;
  const profile::RunInfo run{result.steps, result.segment_steps, streams, options.warmup,
                             options.layer_timing};
  for (const auto& profiler : profilers)
    profiler->start(run);

  // Cold: the very first inference, with whatever first-touch and lazy initialisation it pays.
  InputCycle main_inputs(main, inputs);
  {
    PhaseObservers cold(profilers, profile::Phase::cold, 0, nullptr);
    begin_iteration(profilers, profile::Phase::cold, 0, 0);
    const std::int64_t start = now_ns();
    main_inputs.run(cold.get());
    result.cold_seconds = seconds_between(start, now_ns());
    end_iteration(profilers, profile::Phase::cold, 0, 0);
  }
  main_inputs.restart();
  // Only the last warm-up iteration is observed: the earlier ones bring the caches and the library to
  // their steady state.
  for (int i = 0; i + 1 < options.warmup; ++i)
    main_inputs.run(nullptr);
  if (options.warmup > 0) {
    const int last = options.warmup - 1;
    PhaseObservers warm(profilers, profile::Phase::warm, 0, nullptr);
    begin_iteration(profilers, profile::Phase::warm, 0, last);
    main_inputs.run(warm.get());
    end_iteration(profilers, profile::Phase::warm, 0, last);
  }
  main_inputs.restart();
  if (options.layer_timing) {
    result.step_seconds.assign(step_count, {});
    result.step_library_ms.assign(step_count, {});
    result.segment_seconds.assign(result.segment_steps.size(), {});
  }

  // After warm-up, when the library's worker threads exist (counters open here and count them).
  for (const auto& profiler : profilers)
    profiler->before_measured();

  std::mutex merge;
  const std::int64_t measure_start = now_ns();
  const profile::PhaseUsage usage_start = profile::usage_now();
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
    PhaseObservers observers(profilers, profile::Phase::measured, stream,
                             options.layer_timing ? &timer : nullptr);
    Observer* observer = observers.get();
    ProgressLine progress(options.progress && stream == 0);
    std::vector<double> latencies;
    std::vector<TraceEvent> events;
    int done = 0;
    while (keep_going(options, done, measure_start)) {
      begin_iteration(profilers, profile::Phase::measured, stream, done);
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
      end_iteration(profilers, profile::Phase::measured, stream, done);
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
  result.measured_usage = profile::usage_between(usage_start, profile::usage_now());
  result.load_average = profile::load_average();
  profile::Results collected;
  for (const auto& profiler : profilers)
    profiler->finish(collected);
  result.counters = std::move(collected.counters);
  result.cold_memory = std::move(collected.cold_memory);
  result.warm_memory = std::move(collected.warm_memory);
  result.memory_before = collected.memory_before;
  result.memory_after = collected.memory_after;
  return result;
}

}  // namespace ntp::runtime
