// The measurement-quality assessment: quiet samples pass, and each sign of trouble (spread, an outlier, two
// regimes, load, preemption, more threads than cores) gives its warning with the figures.
#include "profile/quality.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace {

using ntp::profile::assess_quality;
using ntp::profile::PhaseUsage;

bool mentions(const ntp::QualityRecord& quality, const std::string& text) {
  return std::any_of(quality.warnings.begin(), quality.warnings.end(),
                     [&](const std::string& warning) { return warning.find(text) != std::string::npos; });
}

TEST(Quality, QuietSamplesOnAnIdleMachineGiveNoWarning) {
  std::vector<double> samples;
  for (int i = 0; i < 50; ++i)
    samples.push_back(10.0 + 0.1 * std::sin(i));
  const auto quality = assess_quality(samples, {5, 100, 0.5, 1.0}, 1.2, 2, 2);
  EXPECT_TRUE(quality.warnings.empty()) << quality.warnings.front();
  EXPECT_LT(quality.cv, 0.01);
  EXPECT_FALSE(quality.bimodal);
  EXPECT_DOUBLE_EQ(quality.involuntary_switches_per_second, 5.0);
}

// DeepSpeech on a loaded machine took either about 0.4 s or about 2.5 s (issue 17).
TEST(Quality, TwoRegimesAreFoundWithTheirMedians) {
  std::vector<double> samples;
  for (int i = 0; i < 14; ++i)
    samples.push_back(400 + i);
  for (int i = 0; i < 6; ++i)
    samples.push_back(2500 + i);
  const auto quality = assess_quality(samples, {}, std::nullopt, 2, 0);
  EXPECT_TRUE(quality.bimodal);
  EXPECT_DOUBLE_EQ(quality.fast_cluster_ms, 406.5);
  EXPECT_DOUBLE_EQ(quality.slow_cluster_ms, 2502.5);
  EXPECT_TRUE(mentions(quality, "either about 406 ms (14 of them) or about 2502 ms (6)"))
      << quality.warnings[0];
  EXPECT_TRUE(mentions(quality, "cv"));
  // One slow sample is an outlier, not a regime: too few on its side.
  std::vector<double> outlier(30, 10.0);
  outlier.back() = 50;
  const auto single = assess_quality(outlier, {}, std::nullopt, 2, 0);
  EXPECT_FALSE(single.bimodal);
  EXPECT_TRUE(mentions(single, "the slowest inference took 5.0 times the median"));
}

TEST(Quality, LoadPreemptionAndOversubscriptionAreNamed) {
  const std::vector<double> samples(10, 1.0);
  const auto loaded = assess_quality(samples, {600, 0, 1.0, 2.0}, 4.5, 2, 2);
  EXPECT_TRUE(mentions(loaded, "load average is 4.5 on 2 cores, of which this run uses 2"));
  EXPECT_TRUE(mentions(loaded, "preempted 300 times a second"));
  EXPECT_FALSE(mentions(assess_quality(samples, {}, 2.4, 2, 2), "load average")) << "its own threads";
  EXPECT_TRUE(mentions(assess_quality(samples, {}, std::nullopt, 2, 99), "99 threads on 2 cores"));
}

TEST(Quality, UsageCountsTheProcessesOwnSwitchesAndTime) {
  const PhaseUsage before = ntp::profile::usage_now();
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i)
    sink = sink + 1e-9 * i;
  ::usleep(1000);  // a voluntary switch
  const PhaseUsage spent = ntp::profile::usage_between(before, ntp::profile::usage_now());
  EXPECT_GT(spent.cpu_seconds, 0.0);
  EXPECT_GT(spent.wall_seconds, 0.0);
  EXPECT_GE(spent.voluntary_switches, 1);
  EXPECT_TRUE(ntp::profile::load_average().has_value());
}

}  // namespace
