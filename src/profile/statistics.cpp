#include "statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ntp::profile {

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const double position = fraction * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double weight = position - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * weight;
}

Summary summarize(std::vector<double> samples) {
  Summary summary;
  summary.count = samples.size();
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  summary.min = samples.front();
  summary.max = samples.back();
  summary.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  summary.median = percentile(samples, 0.5);
  summary.p90 = percentile(samples, 0.9);
  summary.p99 = percentile(samples, 0.99);
  if (samples.size() > 1) {
    double squares = 0;
    for (const double sample : samples)
      squares += (sample - summary.mean) * (sample - summary.mean);
    summary.stddev = std::sqrt(squares / static_cast<double>(samples.size() - 1));
  }
  summary.cv = summary.mean > 0 ? summary.stddev / summary.mean : 0;
  return summary;
}

}  // namespace ntp::profile
