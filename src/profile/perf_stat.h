// Reading `perf stat -x ';'` output: one line per event, value;unit;event;run time;percent running;....
#pragma once

#include <string>
#include <vector>

namespace ntp::profile {

struct PerfStatCount {
  std::string event;
  bool counted = false;         // false: "<not supported>" or "<not counted>"
  std::string status;           // perf's word when not counted
  double value = 0;             // as perf prints it (task-clock in msec), scaled for multiplexing
  std::string unit;             // "msec" or ""
  double running_fraction = 1;  // the share of the enabled time the event was on the PMU
};

// Every event line of perf stat's CSV output, in order; comments and blank lines are skipped.
std::vector<PerfStatCount> parse_perf_stat(const std::string& text, char separator = ';');

}  // namespace ntp::profile
