// Whether a run's measurements can be trusted: the spread of its latency samples (cv, max against median,
// two clusters) and what the machine did meanwhile (load average against the cores, the process's
// involuntary context switches, the CPU time it got), each with a warning a person can act on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

struct Quality {
  double cv = 0;               // of the latency samples
  double max_over_median = 0;  // the slowest sample against the median
  bool bimodal = false;        // two clusters of samples, the slower at least 1.5 times the faster
  double fast_cluster_ms = 0;  // when bimodal: the medians of the two clusters
  double slow_cluster_ms = 0;
  std::optional<double> load_average;  // at the end of the measured phase
  int cores = 0;
  int threads = 0;                             // what the run asked for (0: the library's default)
  double involuntary_switches_per_second = 0;  // during the measured phase
  std::vector<std::string> warnings;           // empty: nothing suggests the numbers are off
};

// `samples_ms`: the measured latencies; `threads`: as asked (0 = every core).
Quality assess_quality(const std::vector<double>& samples_ms, const PhaseUsage& measured,
                       std::optional<double> load, int cores, int threads);

}  // namespace ntp::profile
