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

// A distribution-free 95% confidence interval for the median: the order statistics x(j) and x(n+1-j) with
// j the largest rank whose binomial tail (p = 1/2) is at most 2.5%, exact up to 1000 samples and by the
// normal approximation beyond. Needs no assumption about the shape of the samples, which is what
// timings on a busy machine lack. Below 6 samples no pair of order statistics covers 95%: `valid` false.
struct MedianInterval {
  bool valid = false;
  double low = 0, high = 0;
  double coverage = 0;  // the interval's exact coverage (>= 0.95)
  // max(median - low, high - median) / median: what a precision target is compared with
  double relative_half_width = 0;
};
MedianInterval median_interval(const std::vector<double>& sorted);

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
