// Summary statistics of repeated measurements.
#pragma once

#include <cstddef>
#include <vector>

namespace ntp::profile {

struct Summary {
  std::size_t count = 0;
  double min = 0, max = 0, mean = 0, median = 0, p90 = 0, p99 = 0;
  double stddev = 0;  // sample standard deviation (n - 1)
  double cv = 0;      // stddev / mean
};

// Percentiles interpolate linearly between order statistics (numpy's default).
Summary summarize(std::vector<double> samples);
double percentile(const std::vector<double>& sorted, double fraction);

// Mann-Whitney U: do two sets of samples come from distributions of different location? Two-sided, by the
// normal approximation with tie and continuity corrections; below `kMinimumSamples` per side it does not
// decide (enough = false).
struct RankTest {
  bool enough = false;
  std::size_t n1 = 0, n2 = 0;
  double u = 0;        // U of the first sample
  double z = 0;        // standardised
  double p_value = 1;  // two-sided
};
inline constexpr std::size_t kMinimumSamples = 5;
RankTest mann_whitney_u(const std::vector<double>& first, const std::vector<double>& second);

}  // namespace ntp::profile
