// The profilers a run attaches, chosen from what was asked for: the one place that knows them all.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "profile/profiler.h"

namespace ntp::profile {

struct ProfilerRequest {
  // Counters read at every step (stream 0): perf_event's by name as libpfm4 knows them, or PAPI's with
  // tool "papi"; empty: none.
  std::vector<std::string> counters;
  // Hardware events per counter group (0: all in one); more groups take turns over the measured iterations.
  int counter_group_size = 4;
  // "papi" reads the counters through PAPI, in this process. The external tool this process was
  // relaunched under (--tool, in the child): "callgrind" collects inside each step of stream 0 and dumps
  // its counts per step; "perf" switches `perf stat` on and off through its control fifos
  // (perf_control, "CTL,ACK"). Either sees only the steps of tool_regions (segment names; empty: every
  // step) in the measured iterations.
  std::string tool;
  std::vector<std::string> tool_regions;
  std::string perf_control;
};

// In the order their observers nest (outermost first, on each side of the runner's step timer): the
// memory readings (cold and warm inferences only), NVTX ranges where built (every stream), the counters
// when asked for (stream 0), then the external tool's switch (stream 0).
std::vector<std::shared_ptr<Profiler>> make_profilers(const ProfilerRequest& request);

}  // namespace ntp::profile
