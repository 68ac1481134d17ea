#include "runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "ntp/limits.h"
#include "profile/observer_chain.h"
#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace ntp {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::iterations:
      return "iterations";
    case StopReason::time:
      return "time";
    case StopReason::precision_target:
      return "precision target";
    case StopReason::max_time:
      return "max time";
    case StopReason::interrupted:
      return "interrupted";
  }
  return "iterations";
}

}  // namespace ntp

namespace ntp::runtime {

const char* trace_phase_name(TracePhase phase) {
  switch (phase) {
    case TracePhase::cold:
      return "cold";
    case TracePhase::warmup:
      return "warm-up";
    case TracePhase::measured:
      return "measured";
  }
  return "measured";
}

namespace {

// Keeps one iteration's steps, as the timer saw them, in a timeline, up to limits::kMaxTraceEvents for the
// whole run (streams add to it at once).
class TimelineKeeper {
 public:
  TimelineKeeper(std::size_t steps, std::atomic<std::size_t>& kept, std::atomic<bool>& truncated)
      : steps_(steps), kept_(kept), truncated_(truncated) {}
  void keep(std::vector<TraceEvent>& into, const profile::StepTimer& timer, TracePhase phase, int iteration,
            int stream, std::int64_t origin_ns) {
    if (kept_.fetch_add(steps_) + steps_ > static_cast<std::size_t>(limits::kMaxTraceEvents)) {
      truncated_ = true;
      return;
    }
    for (std::size_t s = 0; s < steps_; ++s)
      into.push_back({phase, static_cast<int>(s), iteration, stream,
                      static_cast<double>(timer.begin_ns(s) - origin_ns) * 1e-3,
                      static_cast<double>(timer.end_ns(s) - origin_ns) * 1e-3});
  }

 private:
  std::size_t steps_;
  std::atomic<std::size_t>& kept_;
  std::atomic<bool>& truncated_;
};

using profile::now_ns;

double seconds_between(std::int64_t begin_ns, std::int64_t end_ns) {
  return static_cast<double>(end_ns - begin_ns) * 1e-9;
}

bool stop_requested(const RunControl& control) {
  return control.stop != nullptr && control.stop->load(std::memory_order_relaxed);
}

void tell_progress(const RunControl& control, const RunProgress& progress) {
  if (control.progress) control.progress(progress);
}

// Decides after each measured iteration of one stream whether it goes on (StoppingRule says how), and keeps
// why it stopped. With a precision target only stream 0 watches the interval; the other streams go on
// until it has stopped.
class StoppingCheck {
 public:
  StoppingCheck(const StoppingRule& rule, const RunControl& control, std::int64_t start_ns,
                bool watches_interval, const std::atomic<bool>& first_stream_done)
      : rule_(rule),
        control_(control),
        start_ns_(start_ns),
        watches_interval_(watches_interval),
        first_stream_done_(first_stream_done),
        max_time_(rule.max_time_seconds > 0   ? rule.max_time_seconds
                  : rule.precision_target > 0 ? kDefaultMaxTimeWithTarget
                                              : 0) {}

  bool go_on(const std::vector<double>& latencies) {
    const std::size_t done = latencies.size();
    if (stop_requested(control_)) return stop(StopReason::interrupted);
    const double elapsed = seconds_between(start_ns_, now_ns());
    if (rule_.time_seconds > 0) return done < 3 || elapsed < rule_.time_seconds || stop(StopReason::time);
    if (max_time_ > 0 && done >= 1 && elapsed >= max_time_) return stop(StopReason::max_time);
    if (elapsed < rule_.min_time_seconds || done < static_cast<std::size_t>(rule_.iterations)) return true;
    if (rule_.precision_target <= 0) return stop(StopReason::iterations);
    if (!watches_interval_) return !first_stream_done_.load() || stop(StopReason::precision_target);
    // Sorting every sample after every iteration would cost more than fast layers take: past 50 samples the
    // interval is looked at again only once the count has grown by 5%.
    if (done >= 50 && done < next_look_) return true;
    next_look_ = done + done / 20;
    std::vector<double> sorted = latencies;
    std::sort(sorted.begin(), sorted.end());
    const profile::MedianInterval interval = profile::median_interval(sorted);
    if (interval.valid) relative_half_width_ = interval.relative_half_width;
    return !(interval.valid && interval.relative_half_width <= rule_.precision_target) ||
           stop(StopReason::precision_target);
  }

  StopReason reason() const { return reason_; }
  // With a precision target: the interval's last relative half-width (< 0 before there was one).
  double relative_half_width() const { return relative_half_width_; }
  // For a progress line: seconds left where the rule knows them, else < 0.
  double seconds_left(std::size_t done) const {
    const double elapsed = seconds_between(start_ns_, now_ns());
    if (rule_.time_seconds > 0) return std::max(0.0, rule_.time_seconds - elapsed);
    if (rule_.precision_target > 0 || done == 0) return -1;
    const double by_count = elapsed / static_cast<double>(done) *
                            static_cast<double>(std::max<std::size_t>(rule_.iterations, done) - done);
    double left = std::max(by_count, rule_.min_time_seconds - elapsed);
    if (max_time_ > 0) left = std::min(left, max_time_ - elapsed);
    return std::max(0.0, left);
  }

 private:
  bool stop(StopReason reason) {
    reason_ = reason;
    return false;
  }

  const StoppingRule& rule_;
  const RunControl& control_;
  std::int64_t start_ns_;
  bool watches_interval_;
  const std::atomic<bool>& first_stream_done_;
  double max_time_;
  StopReason reason_ = StopReason::iterations;
  std::size_t next_look_ = 0;
  double relative_half_width_ = -1;
};

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
  const RunControl& control = options.control;
  const std::int64_t cold_start = now_ns();
  // With trace_warmup the cold run and every warm-up iteration are timed step by step for the trace, and
  // the timeline starts at the cold run; otherwise they run without a timer.
  std::atomic<std::size_t> traced_events{0};
  std::atomic<bool> timeline_truncated{false};
  TimelineKeeper timeline(step_count, traced_events, timeline_truncated);
  const bool trace_warmup = options.trace_warmup && options.layer_timing;
  profile::StepTimer warmup_timer(step_count);
  Observer* const warmup_observer = trace_warmup ? &warmup_timer : nullptr;
  if (stop_requested(control)) throw Interrupted("the cold run");
  tell_progress(control, {"cold run", 0, 1, 0, -1, -1});
  {
    PhaseObservers cold(profilers, profile::Phase::cold, 0, warmup_observer);
    begin_iteration(profilers, profile::Phase::cold, 0, 0);
    const std::int64_t start = now_ns();
    main_inputs.run(cold.get());
    result.cold_seconds = seconds_between(start, now_ns());
    end_iteration(profilers, profile::Phase::cold, 0, 0);
    if (trace_warmup) timeline.keep(result.timeline, warmup_timer, TracePhase::cold, 0, 0, cold_start);
  }
  main_inputs.restart();
  // Only the last warm-up iteration is observed: the earlier ones bring the caches and the library to
  // their steady state.
  const std::int64_t warmup_start = now_ns();
  const auto warmup_progress = [&](int done) {
    if (stop_requested(control)) throw Interrupted("warm-up");
    const double elapsed = seconds_between(warmup_start, now_ns());
    const double each = done > 0 ? elapsed / done : seconds_between(cold_start, warmup_start);
    tell_progress(control, {"warm-up", done, options.warmup, elapsed, each * (options.warmup - done), -1});
  };
  for (int i = 0; i + 1 < options.warmup; ++i) {
    warmup_progress(i);
    main_inputs.run(warmup_observer);
    if (trace_warmup) timeline.keep(result.timeline, warmup_timer, TracePhase::warmup, i, 0, cold_start);
  }
  if (options.warmup > 0) {
    warmup_progress(options.warmup - 1);
    const int last = options.warmup - 1;
    PhaseObservers warm(profilers, profile::Phase::warm, 0, warmup_observer);
    begin_iteration(profilers, profile::Phase::warm, 0, last);
    main_inputs.run(warm.get());
    end_iteration(profilers, profile::Phase::warm, 0, last);
    if (trace_warmup) timeline.keep(result.timeline, warmup_timer, TracePhase::warmup, last, 0, cold_start);
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
  std::atomic<bool> first_stream_done{false};
  const std::int64_t measure_start = now_ns();
  const std::int64_t trace_origin = trace_warmup ? cold_start : measure_start;
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
    StoppingCheck check(options.stopping, control, measure_start, stream == 0, first_stream_done);
    std::vector<double> latencies;
    std::vector<TraceEvent> events;
    int done = 0;
    while (check.go_on(latencies)) {
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
      if (options.layer_timing && (options.trace_iterations < 0 || done < options.trace_iterations))
        timeline.keep(events, timer, TracePhase::measured, done, stream, trace_origin);
      ++done;
      if (stream == 0)
        tell_progress(control, {"measuring", done,
                                options.stopping.time_seconds > 0 || options.stopping.precision_target > 0
                                    ? 0
                                    : std::max(options.stopping.iterations, done),
                                seconds_between(measure_start, now_ns()),
                                check.seconds_left(latencies.size()), check.relative_half_width()});
    }
    if (stream == 0) first_stream_done = true;
    const std::lock_guard<std::mutex> lock(merge);
    if (stream == 0) result.stopped_by = check.reason();
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
  if (result.latency_seconds.empty()) throw Interrupted("warm-up");  // stopped before the first iteration
  result.wall_seconds = seconds_between(measure_start, now_ns());
  result.timeline_truncated = timeline_truncated;
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
