// Whether a run's measurements can be trusted: the spread of its latency samples and what the machine did
// while they were taken, with a warning for each sign of trouble (empty: none). Computed by
// profile::assess_quality, kept in the run record's `quality` section (docs/report-schema.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ntp {

struct QualityRecord {
  double cv = 0;                                    // of the measured latencies
  double max_over_median = 0;                       // the slowest sample against the median
  bool bimodal = false;                             // two clusters, the slower at least 1.5 times the faster
  double fast_cluster_ms = 0, slow_cluster_ms = 0;  // when bimodal: the medians of the two clusters
  std::optional<double> load_average;               // 1 minute, at the end of the measured phase
  int cores = 0;
  int threads = 0;                             // what the run asked for (0: the library's default)
  double involuntary_switches_per_second = 0;  // during the measured phase
  std::vector<std::string> warnings;
  std::string how;
};

}  // namespace ntp
