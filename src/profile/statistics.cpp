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

MedianInterval median_interval(const std::vector<double>& sorted) {
  MedianInterval interval;
  const std::size_t n = sorted.size();
  const double tail = 0.025;
  std::size_t rank = 0;  // j: the interval is [x(j), x(n+1-j)], 1-based; 0 = none covers the level
  if (n <= 1000) {
    // P(B <= k) for B ~ Binomial(n, 1/2), summed in log space so that 2^-n does not underflow.
    double below = 0;  // P(B <= rank - 1)
    for (std::size_t k = 0; k < n / 2; ++k) {
      const double log_term =
          std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
          std::lgamma(static_cast<double>(n - k) + 1) - static_cast<double>(n) * std::log(2.0);
      if (below + std::exp(log_term) > tail) break;
      below += std::exp(log_term);
      rank = k + 1;
    }
    interval.coverage = 1 - 2 * below;
  } else {
    const double z = 1.959963984540054;  // the 97.5% normal quantile
    const double half = static_cast<double>(n) / 2;
    rank = static_cast<std::size_t>(std::floor(half - z * std::sqrt(static_cast<double>(n)) / 2));
    interval.coverage = 0.95;
  }
  if (rank == 0) return interval;
  interval.valid = true;
  interval.low = sorted[rank - 1];
  interval.high = sorted[n - rank];
  const double median = percentile(sorted, 0.5);
  if (median > 0)
    interval.relative_half_width = std::max(median - interval.low, interval.high - median) / median;
  return interval;
}

RankTest mann_whitney_u(const std::vector<double>& first, const std::vector<double>& second) {
  RankTest test;
  test.n1 = first.size();
  test.n2 = second.size();
  if (test.n1 < kMinimumSamples || test.n2 < kMinimumSamples) return test;
  test.enough = true;
  // Pool, sort, and give tied values their average rank.
  std::vector<std::pair<double, int>> pooled;
  for (const double value : first)
    pooled.emplace_back(value, 0);
  for (const double value : second)
    pooled.emplace_back(value, 1);
  std::sort(pooled.begin(), pooled.end());
  const double n = static_cast<double>(pooled.size());
  double first_rank_sum = 0;
  double tie_term = 0;  // sum of t^3 - t over groups of t ties
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first)
      ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second == 0) first_rank_sum += average_rank;
    const double ties = static_cast<double>(j - i);
    tie_term += ties * ties * ties - ties;
    i = j;
  }
  const double n1 = static_cast<double>(test.n1);
  const double n2 = static_cast<double>(test.n2);
  test.u = first_rank_sum - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return test;                           // every sample equal: no difference
  const double deviation = std::fabs(test.u - mean) - 0.5;  // continuity correction
  test.z = std::max(0.0, deviation) / std::sqrt(variance) * (test.u >= mean ? 1 : -1);
  test.p_value = std::erfc(std::fabs(test.z) / std::sqrt(2.0));
  return test;
}

}  // namespace ntp::profile
