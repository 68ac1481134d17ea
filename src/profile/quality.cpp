#include "quality.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "statistics.h"

namespace ntp::profile {

namespace {

// Thresholds past which a warning is given: a quiet machine stays well inside them (DeepSpeech on 2 idle
// cores: cv 1-3%, max under 1.5 times the median, a few switches a second).
constexpr double kNoisyCv = 0.10;
constexpr double kFarMaximum = 3.0;
constexpr double kClusterRatio = 1.5;
constexpr double kSmallestCluster = 0.10;  // of the samples, on each side of the gap
constexpr double kPreemptedPerSecond = 50;

// 406 ms, 2502 ms, 1.25 ms: whole milliseconds from 100 up, three digits below.
std::string milliseconds(double ms) {
  return ms >= 100 ? fmt::format("{:.0f} ms", ms) : fmt::format("{:.3g} ms", ms);
}

double seconds_of(const timeval& time) {
  return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
}

}  // namespace

PhaseUsage usage_now() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto wall = std::chrono::steady_clock::now().time_since_epoch();
  return {usage.ru_nivcsw, usage.ru_nvcsw, seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime),
          std::chrono::duration<double>(wall).count()};
}

PhaseUsage usage_between(const PhaseUsage& begin, const PhaseUsage& end) {
  return {end.involuntary_switches - begin.involuntary_switches,
          end.voluntary_switches - begin.voluntary_switches, end.cpu_seconds - begin.cpu_seconds,
          end.wall_seconds - begin.wall_seconds};
}

std::optional<double> load_average() {
  std::ifstream file("/proc/loadavg");
  double one_minute = 0;
  if (file >> one_minute) return one_minute;
  return std::nullopt;
}

QualityRecord assess_quality(const std::vector<double>& samples_ms, const PhaseUsage& measured,
                             std::optional<double> load, int cores, int threads) {
  QualityRecord quality;
  quality.load_average = load;
  quality.cores = cores;
  quality.threads = threads;
  if (measured.wall_seconds > 0)
    quality.involuntary_switches_per_second =
        static_cast<double>(measured.involuntary_switches) / measured.wall_seconds;
  std::vector<double> sorted = samples_ms;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() >= 2) {
    const Summary summary = summarize(sorted);
    quality.cv = summary.cv;
    quality.max_over_median = summary.median > 0 ? summary.max / summary.median : 0;
    if (quality.cv > kNoisyCv)
      quality.warnings.push_back(fmt::format(
          "the latency varies from one inference to the next: cv {:.0f}% (a quiet machine: a few %)",
          quality.cv * 100));
    if (quality.max_over_median > kFarMaximum)
      quality.warnings.push_back(
          fmt::format("the slowest inference took {:.1f} times the median", quality.max_over_median));
    // Two clusters: the widest step between neighbouring sorted samples that leaves enough on each side.
    const auto smallest = std::max<std::size_t>(
        2, static_cast<std::size_t>(kSmallestCluster * static_cast<double>(sorted.size()) + 0.999));
    double widest = 0;
    std::size_t split = 0;
    for (std::size_t i = smallest; i + smallest <= sorted.size(); ++i)
      if (sorted[i - 1] > 0 && sorted[i] / sorted[i - 1] > widest) {
        widest = sorted[i] / sorted[i - 1];
        split = i;
      }
    if (widest >= kClusterRatio) {
      quality.bimodal = true;
      quality.fast_cluster_ms =
          percentile({sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(split)}, 0.5);
      quality.slow_cluster_ms =
          percentile({sorted.begin() + static_cast<std::ptrdiff_t>(split), sorted.end()}, 0.5);
      quality.warnings.push_back(fmt::format(
          "the inferences took either about {} ({} of them) or about {} ({}): two regimes, such as another "
          "program taking the cores part of the time",
          milliseconds(quality.fast_cluster_ms), split, milliseconds(quality.slow_cluster_ms),
          sorted.size() - split));
    }
  }
  const int own = threads > 0 ? std::min(threads, cores) : cores;
  if (load && cores > 0 && *load - own >= 1.0)
    quality.warnings.push_back(fmt::format(
        "the machine's load average is {:.1f} on {} cores, of which this run uses {}: other work competes",
        *load, cores, own));
  if (quality.involuntary_switches_per_second > kPreemptedPerSecond)
    quality.warnings.push_back(fmt::format(
        "the run was preempted {:.0f} times a second while measuring: other work ran on its cores",
        quality.involuntary_switches_per_second));
  if (threads > cores && cores > 0)
    quality.warnings.push_back(fmt::format(
        "{} threads on {} cores: the threads take turns, and wait for each other at every barrier", threads,
        cores));
  return quality;
}

}  // namespace ntp::profile
