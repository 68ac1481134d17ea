// The timing observer: a monotonic timestamp at every step's begin and end, kept per iteration.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ntp/observer.h"

namespace ntp::profile {

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "2026-11-24T09:30:00Z": when a run, a calibration or a database row was made.
std::string utc_now();

class StepTimer final : public Observer {
 public:
  explicit StepTimer(std::size_t steps) : begin_ns_(steps, 0), end_ns_(steps, 0) {}
  void begin(int step) override { begin_ns_[static_cast<std::size_t>(step)] = now_ns(); }
  void end(int step) override { end_ns_[static_cast<std::size_t>(step)] = now_ns(); }
  std::int64_t begin_ns(std::size_t step) const { return begin_ns_[step]; }
  std::int64_t end_ns(std::size_t step) const { return end_ns_[step]; }

 private:
  std::vector<std::int64_t> begin_ns_;
  std::vector<std::int64_t> end_ns_;
};

// Cost of one begin/end pair of StepTimer, in nanoseconds: the median of several calibration rounds.
double calibrate_timer_overhead_ns();

}  // namespace ntp::profile
