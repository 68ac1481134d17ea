// What an external tool sees: perf stat's CSV output read back, and the regions that switch perf on and off.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "profile/perf_control.h"
#include "profile/perf_stat.h"
#include "profile/tool_regions.h"

namespace {

using ntp::profile::parse_perf_stat;
using ntp::profile::ToolRegions;

TEST(PerfStat, ReadsCountedAndUncountedEvents) {
  // As perf 6.1 writes it with -x ';' on a virtual machine.
  const std::string text =
      "# started on Tue Nov 24 23:45:13 2026\n"
      "\n"
      "2472.22;msec;task-clock;2472217450;100.00;0.727;CPUs utilized\n"
      "2;;page-faults;2472217450;100.00;0.809;/sec\n"
      "1200;;cpu/event=0x3c,umask=0x0/;600;50.00;;\n"
      "<not supported>;;instructions;0;100.00;;\n"
      "<not counted>;;cycles;0;0.00;;\n";
  const auto counts = parse_perf_stat(text);
  ASSERT_EQ(counts.size(), 5u);
  EXPECT_EQ(counts[0].event, "task-clock");
  EXPECT_TRUE(counts[0].counted);
  EXPECT_DOUBLE_EQ(counts[0].value, 2472.22);
  EXPECT_EQ(counts[0].unit, "msec");
  EXPECT_DOUBLE_EQ(counts[1].value, 2);
  EXPECT_EQ(counts[2].event, "cpu/event=0x3c,umask=0x0/") << "a raw event's commas stay in its name";
  EXPECT_DOUBLE_EQ(counts[2].running_fraction, 0.5);
  EXPECT_FALSE(counts[3].counted);
  EXPECT_EQ(counts[3].status, "not supported");
  EXPECT_EQ(counts[4].status, "not counted");
}

// Records the commands instead of sending them to perf.
struct RecordingSwitch final : ntp::profile::CountingSwitch {
  std::vector<std::string> commands;
  void enable() override { commands.push_back("enable"); }
  void disable() override { commands.push_back("disable"); }
};

// Runs steps 0..count-1 through the observer, recording after which begin/end each command came.
std::vector<std::string> switched(const ToolRegions& regions, int count) {
  RecordingSwitch recorder;
  ntp::profile::PerfControlObserver observer(recorder, regions, count - 1);
  std::vector<std::string> log;
  for (int step = 0; step < count; ++step) {
    observer.begin(step);
    for (const auto& command : recorder.commands)
      log.push_back(command + "@begin" + std::to_string(step));
    recorder.commands.clear();
    observer.end(step);
    for (const auto& command : recorder.commands)
      log.push_back(command + "@end" + std::to_string(step));
    recorder.commands.clear();
  }
  return log;
}

TEST(PerfControlObserver, CountsFromTheFirstOpeningToTheLastClosing) {
  using Log = std::vector<std::string>;
  EXPECT_EQ(switched(ToolRegions(), 4), (Log{"enable@begin0", "disable@end3"}));
  EXPECT_EQ(switched(ToolRegions({{1, 2}, {4, 5}}), 7),
            (Log{"enable@begin1", "disable@end2", "enable@begin4", "disable@end5"}));
  // Overlapping and nested regions switch once.
  EXPECT_EQ(switched(ToolRegions({{1, 4}, {3, 6}, {2, 3}}), 8), (Log{"enable@begin1", "disable@end6"}));
}

TEST(ToolRegions, CoverTheirMarkersAndWhatIsBetween) {
  const ToolRegions regions({{2, 5}, {4, 8}});
  EXPECT_FALSE(regions.covers(1));
  EXPECT_TRUE(regions.covers(2));
  EXPECT_TRUE(regions.covers(8));
  EXPECT_FALSE(regions.covers(9));
  EXPECT_EQ(regions.opening_at(4), 1);
  EXPECT_EQ(regions.closing_at(5), 1);
  EXPECT_EQ(regions.closing_at(4), 0);
  EXPECT_TRUE(ToolRegions().covers(123));
  EXPECT_TRUE(ToolRegions().everything());
}

}  // namespace
