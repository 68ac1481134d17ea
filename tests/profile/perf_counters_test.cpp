// perf_event counters: software events count what the test does (page faults of pages it touches, its own
// CPU time), across threads; hardware events open where a PMU is exposed and say why where not.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <time.h>

#include <atomic>
#include <thread>

#include "ntp/status.h"
#include "profile/counter_schedule.h"
#include "profile/perf_counters.h"

namespace {

using ntp::profile::PerfCounters;

constexpr std::size_t kPage = 4096;

// Touches `pages` fresh pages, small pages only, so each touch is one page fault.
void touch_fresh_pages(std::size_t pages) {
  void* memory = mmap(nullptr, pages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  madvise(memory, pages * kPage, MADV_NOHUGEPAGE);
  auto* bytes = static_cast<volatile char*>(memory);
  for (std::size_t p = 0; p < pages; ++p)
    bytes[p * kPage] = 1;
  munmap(memory, pages * kPage);
}

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

std::size_t index_of(const PerfCounters& counters, const std::string& name) {
  const auto& events = counters.events();
  return static_cast<std::size_t>(std::find(events.begin(), events.end(), name) - events.begin());
}

TEST(PerfCounters, SoftwareEventsCountPageFaultsAndCpuTime) {
  PerfCounters counters(ntp::profile::counter_set("software"));
  ASSERT_LT(index_of(counters, "page-faults"), counters.events().size())
      << (counters.unavailable().empty() ? "" : counters.unavailable().front().reason);
  ASSERT_LT(index_of(counters, "task-clock"), counters.events().size());
  counters.enable();
  const auto before = counters.read();
  const double cpu_before = thread_cpu_seconds();
  touch_fresh_pages(512);
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i)
    sink = sink + 1e-9 * i;
  const double cpu_seconds = thread_cpu_seconds() - cpu_before;
  const auto after = counters.read();
  counters.disable();
  const double faults =
      after.values[index_of(counters, "page-faults")] - before.values[index_of(counters, "page-faults")];
  EXPECT_GE(faults, 512) << "every fresh page touched faults once";
  EXPECT_LT(faults, 512 + 200) << "little else faults in between";
  // task-clock is nanoseconds of CPU time: this thread's, plus whatever the others did meanwhile (idle here).
  const double task_seconds =
      (after.values[index_of(counters, "task-clock")] - before.values[index_of(counters, "task-clock")]) *
      1e-9;
  EXPECT_GT(task_seconds, 0.8 * cpu_seconds);
  EXPECT_LT(task_seconds, 1.5 * cpu_seconds + 0.01);
  EXPECT_GT(after.running_fraction, 0.0);
}

TEST(PerfCounters, CountsEveryThreadTheProcessHad) {
  std::atomic<bool> go{false};
  std::atomic<bool> done{false};
  std::thread worker([&] {
    while (!go)
      std::this_thread::yield();
    touch_fresh_pages(300);
    done = true;
  });
  PerfCounters counters({"page-faults"});
  ASSERT_EQ(counters.events().size(), 1U);
  EXPECT_GE(counters.threads(), 2);
  counters.enable();
  const auto before = counters.read();
  go = true;
  worker.join();
  const auto after = counters.read();
  EXPECT_TRUE(done);
  EXPECT_GE(after.values[0] - before.values[0], 300) << "the worker thread's faults are counted";
}

TEST(PerfCounters, UnknownEventIsABadInputWithAHint) {
  try {
    PerfCounters counters({"cycles", "no-such-event"});
    FAIL() << "accepted an unknown event";
  } catch (const ntp::UserError& error) {
    const std::string text = error.diagnostic().to_string();
    EXPECT_NE(text.find("no-such-event"), std::string::npos) << text;
    EXPECT_NE(text.find("hint"), std::string::npos) << text;
  }
}

TEST(PerfCounters, NamedSetsResolve) {
  for (const std::string& set : ntp::profile::counter_set_names()) {
    const auto events = ntp::profile::counter_set(set);
    EXPECT_FALSE(events.empty()) << set;
    EXPECT_NO_THROW(PerfCounters counters(events)) << set;  // names resolve; opening may fail, and says why
  }
  EXPECT_TRUE(ntp::profile::counter_set("nonsense").empty());
}

TEST(PerfCounters, HardwareEventsCountOrSayWhyNot) {
  PerfCounters counters({"instructions"});
  if (!ntp::profile::hardware_counters_available()) {
    ASSERT_EQ(counters.unavailable().size(), 1U);
    EXPECT_NE(counters.unavailable().front().reason.find("PMU"), std::string::npos)
        << counters.unavailable().front().reason;
    GTEST_SKIP() << "no hardware PMU on this machine: " << counters.unavailable().front().reason;
  }
  ASSERT_EQ(counters.events().size(), 1U);
  counters.enable();
  const auto before = counters.read();
  volatile long sink = 0;
  for (long i = 0; i < 10'000'000; ++i)
    sink = sink + i;
  const auto after = counters.read();
  EXPECT_GT(after.values[0] - before.values[0], 3e7) << "at least a load, an add and a store per iteration";
}

}  // namespace

namespace {

TEST(CounterSchedule, HardwareEventsSplitIntoGroupsSoftwareOnesRideInTheFirst) {
  const std::vector<std::string> events = {"cycles",       "task-clock",  "instructions", "branch-misses",
                                           "cache-misses", "page-faults", "LLC-loads",    "LLC-load-misses"};
  const auto groups = ntp::profile::schedule_counter_groups(events, 2);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0], (std::vector<std::string>{"cycles", "task-clock", "instructions", "page-faults"}));
  EXPECT_EQ(groups[1], (std::vector<std::string>{"branch-misses", "cache-misses"}));
  EXPECT_EQ(groups[2], (std::vector<std::string>{"LLC-loads", "LLC-load-misses"}));
  EXPECT_EQ(ntp::profile::schedule_counter_groups(events, 0).size(), 1u);
}

// Two groups of software events take turns: each event counts in every other iteration, and only then.
TEST(CounterSchedule, GroupsTakeTurnsOverIterations) {
  std::vector<std::unique_ptr<ntp::profile::CounterSource>> groups;
  groups.push_back(std::make_unique<ntp::profile::PerfCounters>(std::vector<std::string>{"task-clock"}));
  groups.push_back(std::make_unique<ntp::profile::PerfCounters>(std::vector<std::string>{"page-faults"}));
  ntp::profile::ScheduledCounters counters(std::move(groups), 1);
  ASSERT_EQ(counters.events(), (std::vector<std::string>{"task-clock", "page-faults"}));
  std::vector<std::vector<std::vector<double>>> values(1, std::vector<std::vector<double>>(2));
  for (int iteration = 0; iteration < 4; ++iteration) {
    counters.start_iteration(iteration);
    counters.begin(0);
    volatile double sink = 0;
    for (int i = 0; i < 2'000'000; ++i)
      sink = sink + i;
    counters.end(0);
    counters.collect(values);
  }
  ASSERT_EQ(values[0][0].size(), 2u);  // task-clock: iterations 0 and 2
  ASSERT_EQ(values[0][1].size(), 2u);  // page-faults: iterations 1 and 3
  EXPECT_GT(values[0][0][0], 1e5) << "two million additions take well over 0.1 ms of task-clock";
  EXPECT_GE(values[0][1][0], 0.0);
}

}  // namespace
