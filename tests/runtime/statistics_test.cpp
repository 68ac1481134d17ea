#include <gtest/gtest.h>

#include <cmath>

#include "profile/statistics.h"
#include "profile/step_timer.h"

namespace {

using ntp::profile::summarize;

TEST(Statistics, SummaryOfKnownSamples) {
  // 1..10: mean 5.5, median 5.5, sample variance 55/6, p90 by linear interpolation 9.1.
  const auto s = summarize({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_EQ(s.count, 10U);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_NEAR(s.p90, 9.1, 1e-12);
  EXPECT_NEAR(s.p99, 9.91, 1e-12);
  EXPECT_NEAR(s.stddev, std::sqrt(55.0 / 6.0), 1e-12);
  EXPECT_NEAR(s.cv, std::sqrt(55.0 / 6.0) / 5.5, 1e-12);
}

TEST(Statistics, OddCountMedianAndSingleSample) {
  EXPECT_DOUBLE_EQ(summarize({3, 1, 2}).median, 2);
  const auto one = summarize({4});
  EXPECT_DOUBLE_EQ(one.median, 4);
  EXPECT_DOUBLE_EQ(one.p99, 4);
  EXPECT_DOUBLE_EQ(one.stddev, 0);
  EXPECT_EQ(summarize({}).count, 0U);
}

TEST(StepTimer, RecordsOrderedTimestampsAndCalibrates) {
  ntp::profile::StepTimer timer(2);
  timer.begin(0);
  timer.end(0);
  timer.begin(1);
  timer.end(1);
  EXPECT_LE(timer.begin_ns(0), timer.end_ns(0));
  EXPECT_LE(timer.end_ns(0), timer.begin_ns(1));
  const double overhead = ntp::profile::calibrate_timer_overhead_ns();
  EXPECT_GT(overhead, 0.0);
  EXPECT_LT(overhead, 100'000.0);  // a clock read pair, not a syscall storm: far below 0.1 ms even under ASan
}

}  // namespace

namespace {

// The normal approximation with continuity correction (scipy.stats.mannwhitneyu's "asymptotic" method).
TEST(MannWhitney, SeparatedTiedAndTooSmallSamples) {
  const auto separated = ntp::profile::mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  ASSERT_TRUE(separated.enough);
  EXPECT_DOUBLE_EQ(separated.u, 0);
  EXPECT_NEAR(separated.p_value, 0.012186, 1e-5);
  const auto same = ntp::profile::mann_whitney_u({1, 2, 3, 4, 5}, {1, 2, 3, 4, 5});
  EXPECT_NEAR(same.p_value, 1.0, 1e-12);
  // Ties take their average rank (rank sum 17, U = 2) and shrink the variance to 25/12 * (11 - 72/90).
  const auto tied = ntp::profile::mann_whitney_u({1, 2, 2, 3, 3}, {3, 3, 4, 4, 5});
  EXPECT_DOUBLE_EQ(tied.u, 2.0);
  EXPECT_NEAR(tied.p_value, 0.0300596, 1e-6);
  EXPECT_FALSE(ntp::profile::mann_whitney_u({1, 2, 3}, {4, 5, 6, 7, 8}).enough);
}

}  // namespace

// The ranks against the binomial distribution (checked with Python's math.comb): n = 10 gives x(2)..x(9),
// covering 1 - 2 * 11/1024; n = 6 the extremes; n = 5 no interval reaches 95%; n = 100 gives x(40)..x(61).
TEST(Statistics, MedianIntervalIsTheBinomialOrderStatistics) {
  std::vector<double> ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const auto interval = ntp::profile::median_interval(ten);
  ASSERT_TRUE(interval.valid);
  EXPECT_DOUBLE_EQ(interval.low, 2);
  EXPECT_DOUBLE_EQ(interval.high, 9);
  EXPECT_NEAR(interval.coverage, 1 - 2 * 11.0 / 1024, 1e-12);
  EXPECT_NEAR(interval.relative_half_width, 3.5 / 5.5, 1e-12);

  const auto six = ntp::profile::median_interval({1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(six.valid);
  EXPECT_DOUBLE_EQ(six.low, 1);
  EXPECT_DOUBLE_EQ(six.high, 6);
  EXPECT_NEAR(six.coverage, 1 - 2.0 / 64, 1e-12);
  EXPECT_FALSE(ntp::profile::median_interval({1, 2, 3, 4, 5}).valid);

  const auto one_to = [](int n) {
    std::vector<double> samples;
    for (int i = 1; i <= n; ++i)
      samples.push_back(i);
    return samples;
  };
  const auto wide = ntp::profile::median_interval(one_to(100));
  EXPECT_DOUBLE_EQ(wide.low, 40);
  EXPECT_DOUBLE_EQ(wide.high, 61);
  EXPECT_NEAR(wide.coverage, 0.9648, 1e-4);

  // Beyond 1000 samples, the normal approximation: within one rank of the exact interval, never narrower.
  const auto approximate = ntp::profile::median_interval(one_to(1001));
  EXPECT_DOUBLE_EQ(approximate.low, 469);
  EXPECT_DOUBLE_EQ(approximate.high, 533);
}
