// Whether a run's measurements can be trusted: the spread of its latency samples (cv, max against median,
// two clusters) and what the machine did meanwhile (load average against the cores, the process's
// involuntary context switches, the CPU time it got), each with a warning a person can act on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ntp/quality.h"

namespace ntp::profile {

// What the process went through in one phase (getrusage RUSAGE_SELF, all threads).
struct PhaseUsage {
  std::int64_t involuntary_switches = 0;  // preempted: another task wanted the core
  std::int64_t voluntary_switches = 0;    // waited: I/O, locks, idle OpenMP threads
  double cpu_seconds = 0;                 // user + system
  double wall_seconds = 0;
};

PhaseUsage usage_now();  // the counters since the process started; subtract two
PhaseUsage usage_between(const PhaseUsage& begin, const PhaseUsage& end);
// The 1-minute load average (/proc/loadavg); nullopt where unreadable.
std::optional<double> load_average();

// `samples_ms`: the measured latencies; `threads`: as asked (0 = every core).
QualityRecord assess_quality(const std::vector<double>& samples_ms, const PhaseUsage& measured,
                             std::optional<double> load, int cores, int threads);

}  // namespace ntp::profile
