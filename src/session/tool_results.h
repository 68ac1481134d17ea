// What an external tool counted, added to the run record of the run it watched: callgrind's per-layer
// dumps, and perf stat's totals over the regions.
#pragma once

#include <string>
#include <vector>

#include "ntp/run_record.h"
#include "profile/callgrind_dumps.h"
#include "profile/perf_stat.h"

namespace ntp::session {

// Each node's counts (matched by its step) and each segment's sums, the simulated miss rates, and the
// "callgrind" section: events, the regions collected (empty: every layer), the simulated caches.
void add_callgrind_results(RunRecord& record, const profile::CallgrindCounts& counts,
                           const std::vector<std::string>& regions);

// The "perf" section (totals, per measured iteration, derived ratios, the events perf could not count)
// and, with one region, that segment's per-iteration counts. `perf_command`: perf's part of the command.
void add_perf_results(RunRecord& record, const std::vector<profile::PerfStatCount>& counts,
                      const std::vector<std::string>& regions, const std::string& perf_command);

}  // namespace ntp::session
