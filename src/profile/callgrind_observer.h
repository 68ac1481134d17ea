// Callgrind's client requests as an observer: collection is switched on for exactly one step at a time and
// each step's counts are dumped under its index, so the dumps are per-layer instruction and simulated cache
// counts. Outside valgrind the requests are no-ops costing a few instructions.
#pragma once

#include <valgrind/callgrind.h>

#include <string>

#include "ntp/observer.h"
#include "profile/tool_regions.h"

namespace ntp::profile {

inline bool running_under_valgrind() {
  return RUNNING_ON_VALGRIND != 0;
}

// The dump name of a step; parse_callgrind_dumps() reads it back.
inline std::string callgrind_dump_name(int step) {
  return "ntp-step:" + std::to_string(step);
}

// Construct it just before the measured iterations: callgrind starts instrumenting there (the relaunch
// passes --instr-atstart=no, so loading and warming up run at valgrind's uninstrumented speed). Steps
// outside the regions are not collected.
class CallgrindObserver final : public Observer {
 public:
  explicit CallgrindObserver(ToolRegions regions) : regions_(std::move(regions)) {
    CALLGRIND_START_INSTRUMENTATION;
  }
  void begin(int step) override {
    if (regions_.covers(step)) CALLGRIND_TOGGLE_COLLECT;
  }
  void end(int step) override {
    if (!regions_.covers(step)) return;
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(callgrind_dump_name(step).c_str());
  }

 private:
  ToolRegions regions_;
};

}  // namespace ntp::profile
