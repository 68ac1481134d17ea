// Profilers are plug-ins: a profiler the runner does not know is started, asked for an observer per phase
// and stream, called around every step and every observed inference, and finished after the run, with its
// observer nested where its placement says.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "backends/reference/reference_backend.h"
#include "ntp/executable.h"
#include "ntp/topology.h"
#include "ntp/weights.h"
#include "profile/nvtx_observer.h"
#include "profile/profilers.h"
#include "runtime/runner.h"

namespace ntp {
namespace {

using profile::Phase;

Graph parse_profiled(const std::string& markup) {
  auto result = parse_topology(markup, "profiler_test.xml");
  if (!result.ok()) throw std::runtime_error(result.error().to_string());
  return std::move(result.value());
}

const char* kProfiledGraph = R"(<topology name="p">
  <input name="x" shape="2,8"/>
  <start marker="seg"/>
  <layer name="a" type="fc" units="4"/>
  <end marker="seg"/>
  <layer name="b" type="fc" units="3"/>
</topology>)";

// Every begin and end, in order, as "NAME+STEP" and "NAME-STEP", shared by the profilers of one test.
struct Journal {
  std::mutex mutex;
  std::vector<std::string> entries;
  void add(std::string entry) {
    const std::lock_guard<std::mutex> lock(mutex);
    entries.push_back(std::move(entry));
  }
};

// Counts each step's begins and ends and checks that they pair up.
class CountingObserver final : public Observer {
 public:
  CountingObserver(std::size_t steps, std::string name, Journal* journal)
      : begins(steps, 0), ends(steps, 0), name_(std::move(name)), journal_(journal) {}
  void begin(int step) override {
    EXPECT_EQ(open, -1) << "step " << step << " began inside step " << open;
    open = step;
    ++begins[static_cast<std::size_t>(step)];
    if (journal_ != nullptr) journal_->add(name_ + "+" + std::to_string(step));
  }
  void end(int step) override {
    EXPECT_EQ(open, step);
    open = -1;
    ++ends[static_cast<std::size_t>(step)];
    if (journal_ != nullptr) journal_->add(name_ + "-" + std::to_string(step));
  }
  std::vector<int> begins;
  std::vector<int> ends;
  int open = -1;

 private:
  std::string name_;
  Journal* journal_;
};

class RecordingProfiler final : public profile::Profiler {
 public:
  explicit RecordingProfiler(profile::Placement placement = profile::Placement::outside_timer,
                             Journal* journal = nullptr)
      : placement_(placement), journal_(journal) {}
  std::string name() const override { return "recording"; }
  profile::Placement placement() const override { return placement_; }
  void start(const profile::RunInfo& run) override {
    ++starts;
    steps = run.steps.size();
    segments = run.segment_steps.size();
    streams = run.streams;
    // One observer per phase and stream, made here: the measured ones are asked for from the streams'
    // threads at once.
    for (int phase = 0; phase < 3; ++phase)
      for (int stream = 0; stream < run.streams; ++stream)
        observers.emplace_back(steps, name_of(phase, stream), journal_);
  }
  void before_measured() override {
    const std::lock_guard<std::mutex> lock(mutex_);
    calls.emplace_back("before_measured", Phase::measured, -1, -1);
  }
  Observer* attach(Phase phase, int stream) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    calls.emplace_back("attach", phase, stream, -1);
    return &observer(phase, stream);
  }
  void begin_iteration(Phase phase, int stream, int iteration) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    calls.emplace_back("begin_iteration", phase, stream, iteration);
  }
  void end_iteration(Phase phase, int stream, int iteration) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    calls.emplace_back("end_iteration", phase, stream, iteration);
  }
  void finish(profile::Results& results) override {
    ++finishes;
    calls.emplace_back("finish", Phase::measured, -1, -1);
    results.memory_after.heap_bytes = 4242;  // handed back: the runner copies it into its measurements
  }

  CountingObserver& observer(Phase phase, int stream) {
    return observers[static_cast<std::size_t>(static_cast<int>(phase) * streams + stream)];
  }
  // The calls of one kind for one stream, as (phase, iteration).
  std::vector<std::pair<Phase, int>> of(const std::string& kind, int stream) const {
    std::vector<std::pair<Phase, int>> found;
    for (const auto& [what, phase, on, iteration] : calls)
      if (what == kind && on == stream) found.emplace_back(phase, iteration);
    return found;
  }

  int starts = 0;
  int finishes = 0;
  std::size_t steps = 0;
  std::size_t segments = 0;
  int streams = 0;
  std::vector<std::tuple<std::string, Phase, int, int>> calls;
  std::vector<CountingObserver> observers;

 private:
  std::string name_of(int phase, int stream) const {
    return (placement_ == profile::Placement::inside_timer ? "in" : "out") + std::to_string(phase) + "/" +
           std::to_string(stream);
  }
  profile::Placement placement_;
  Journal* journal_;
  std::mutex mutex_;
};

struct Compiled {
  Graph graph = parse_profiled(kProfiledGraph);
  WeightStore weights = generate_weights(graph, 3);
  Executable executable{graph, reference_backend(), {DType::f32, 1, &weights}};
  std::vector<runtime::InputSet> inputs{generate_inputs(graph, 3)};
};

TEST(Profilers, ACustomProfilerIsAttachedAndCalledWithoutTheRunnerKnowingIt) {
  Compiled compiled;
  auto profiler = std::make_shared<RecordingProfiler>();
  runtime::RunOptions options;
  options.warmup = 2;
  options.stopping.iterations = 3;
  options.profilers = {profiler};
  const runtime::Measurements measured =
      runtime::measure({&compiled.executable}, reference_backend(), compiled.inputs, options);

  const std::size_t steps = measured.steps.size();
  ASSERT_EQ(profiler->starts, 1);
  EXPECT_EQ(profiler->finishes, 1);
  EXPECT_EQ(profiler->steps, steps);
  EXPECT_EQ(profiler->segments, 1U);
  EXPECT_EQ(profiler->streams, 1);
  using Calls = std::vector<std::pair<Phase, int>>;
  EXPECT_EQ(profiler->of("attach", 0), (Calls{{Phase::cold, -1}, {Phase::warm, -1}, {Phase::measured, -1}}));
  // Cold is inference 0, warm the last warm-up iteration (1); the first warm-up iteration is not observed.
  const Calls iterations{
      {Phase::cold, 0}, {Phase::warm, 1}, {Phase::measured, 0}, {Phase::measured, 1}, {Phase::measured, 2}};
  EXPECT_EQ(profiler->of("begin_iteration", 0), iterations);
  EXPECT_EQ(profiler->of("end_iteration", 0), iterations);
  // Every step of every observed inference begins and ends once in its phase's observer.
  for (const auto& [phase, times] : {std::pair{Phase::cold, 1}, {Phase::warm, 1}, {Phase::measured, 3}}) {
    EXPECT_EQ(profiler->observer(phase, 0).begins, std::vector<int>(steps, times));
    EXPECT_EQ(profiler->observer(phase, 0).ends, std::vector<int>(steps, times));
  }
  // Counters open before the measured iterations; the profiler finishes after the last of them.
  const auto& calls = profiler->calls;
  const auto position = [&](const std::string& what, Phase phase, int iteration) {
    for (std::size_t c = 0; c < calls.size(); ++c)
      if (std::get<0>(calls[c]) == what && std::get<1>(calls[c]) == phase &&
          std::get<3>(calls[c]) == iteration)
        return c;
    return calls.size();
  };
  EXPECT_LT(position("end_iteration", Phase::warm, 1), position("before_measured", Phase::measured, -1));
  EXPECT_LT(position("before_measured", Phase::measured, -1), position("attach", Phase::measured, -1));
  EXPECT_EQ(std::get<0>(calls.back()), "finish");
  // What it handed back reaches the measurements; the runner's own timing is still there.
  EXPECT_EQ(measured.memory_after.heap_bytes, 4242);
  for (const auto& times : measured.step_seconds)
    EXPECT_EQ(times.size(), 3U);
}

TEST(Profilers, EveryStreamGetsItsOwnMeasuredObserver) {
  Compiled compiled;
  Executable second(compiled.graph, reference_backend(), {DType::f32, 1, &compiled.weights});
  auto profiler = std::make_shared<RecordingProfiler>();
  runtime::RunOptions options;
  options.warmup = 1;
  options.stopping.iterations = 2;
  options.throughput = true;
  options.streams = 2;
  options.profilers = {profiler};
  const runtime::Measurements measured =
      runtime::measure({&compiled.executable, &second}, reference_backend(), compiled.inputs, options);
  const std::size_t steps = measured.steps.size();
  for (const int stream : {0, 1}) {
    EXPECT_EQ(profiler->observer(Phase::measured, stream).begins, std::vector<int>(steps, 2)) << stream;
    EXPECT_EQ(profiler->of("end_iteration", stream).size(), stream == 0 ? 4U : 2U) << stream;
  }
  // Only stream 0 runs the cold and warm inferences under observation.
  EXPECT_EQ(profiler->observer(Phase::cold, 1).begins, std::vector<int>(steps, 0));
  EXPECT_EQ(profiler->observer(Phase::warm, 1).begins, std::vector<int>(steps, 0));
  EXPECT_EQ(profiler->finishes, 1);
}

TEST(Profilers, PlacementNestsObserversAroundTheTimer) {
  Compiled compiled;
  Journal journal;
  // Listed inside first: placement, not the order of the list, puts it innermost.
  auto inside = std::make_shared<RecordingProfiler>(profile::Placement::inside_timer, &journal);
  auto outside = std::make_shared<RecordingProfiler>(profile::Placement::outside_timer, &journal);
  runtime::RunOptions options;
  options.warmup = 0;
  options.stopping.iterations = 1;
  options.profilers = {inside, outside};
  runtime::measure({&compiled.executable}, reference_backend(), compiled.inputs, options);
  // Measured phase (2): out begins before in, in ends before out.
  std::vector<std::string> measured;
  for (const std::string& entry : journal.entries)
    if (entry.rfind("out2/", 0) == 0 || entry.rfind("in2/", 0) == 0) measured.push_back(entry);
  ASSERT_GE(measured.size(), 4U);
  EXPECT_EQ(measured[0], "out2/0+0");
  EXPECT_EQ(measured[1], "in2/0+0");
  EXPECT_EQ(measured[2], "in2/0-0");
  EXPECT_EQ(measured[3], "out2/0-0");
}

TEST(Profilers, NoneAttachedLeavesTheTimerAlone) {
  Compiled compiled;
  runtime::RunOptions options;
  options.warmup = 1;
  options.stopping.iterations = 2;
  const runtime::Measurements measured =
      runtime::measure({&compiled.executable}, reference_backend(), compiled.inputs, options);
  EXPECT_EQ(measured.step_seconds.front().size(), 2U);
  EXPECT_TRUE(measured.counters.events.empty());
  EXPECT_TRUE(measured.cold_memory.empty());
  EXPECT_EQ(measured.memory_before.rss_bytes, 0);
}

TEST(Profilers, TheDefaultsReadMemoryAroundTheColdAndWarmInferences) {
  Compiled compiled;
  runtime::RunOptions options;
  options.warmup = 1;
  options.stopping.iterations = 2;
  options.profilers = profile::make_profilers({});
  const runtime::Measurements measured =
      runtime::measure({&compiled.executable}, reference_backend(), compiled.inputs, options);
  EXPECT_EQ(measured.cold_memory.size(), measured.steps.size());
  EXPECT_EQ(measured.warm_memory.size(), measured.steps.size());
  EXPECT_GT(measured.memory_before.rss_bytes, 0);
  EXPECT_GT(measured.memory_after.rss_bytes, 0);
  EXPECT_TRUE(measured.counters.events.empty());
}

TEST(Profilers, SoftwareCountersArePerLayerThroughTheFactory) {
  Compiled compiled;
  runtime::RunOptions options;
  options.warmup = 1;
  options.stopping.iterations = 2;
  profile::ProfilerRequest request;
  request.counters = {"task-clock"};
  options.profilers = profile::make_profilers(request);
  const runtime::Measurements measured =
      runtime::measure({&compiled.executable}, reference_backend(), compiled.inputs, options);
  if (measured.counters.events.empty()) GTEST_SKIP() << "perf_event is not open to this process here";
  EXPECT_EQ(measured.counters.source, "perf_event");
  EXPECT_EQ(measured.counters.step_values.size(), measured.steps.size());
  for (const auto& step : measured.counters.step_values)
    EXPECT_EQ(step.front().size(), 2U);
}

TEST(Profilers, TheFactoryChoosesThemFromTheRequest) {
  const auto names = [](const profile::ProfilerRequest& request) {
    std::vector<std::string> found;
    for (const auto& profiler : profile::make_profilers(request))
      found.push_back(profiler->name());
    return found;
  };
  const std::vector<std::string> always =
      profile::nvtx_built() ? std::vector<std::string>{"memory", "nvtx"} : std::vector<std::string>{"memory"};
  EXPECT_EQ(names({}), always);
  profile::ProfilerRequest request;
  request.counters = {"task-clock"};
  EXPECT_EQ(names(request).back(), "perf_event");
  request.tool = "papi";
  EXPECT_EQ(names(request).back(), "papi");
  request.counters.clear();
  request.tool = "callgrind";
  const auto callgrind = profile::make_profilers(request);
  EXPECT_EQ(callgrind.back()->name(), "callgrind");
  EXPECT_EQ(callgrind.back()->placement(), profile::Placement::inside_timer);
  request.tool = "perf";
  EXPECT_EQ(names(request).back(), "perf");
}

}  // namespace
}  // namespace ntp
