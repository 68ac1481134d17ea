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

}  // namespace ntp::profile
