// The counter observer: reads the perf_event counters at every step's begin and end and keeps each step's
// difference per iteration, like StepTimer does for time.
#pragma once

#include <vector>

#include "ntp/observer.h"
#include "profile/counter_source.h"

namespace ntp::profile {

class CounterObserver final : public Observer {
 public:
  CounterObserver(CounterSource& counters, std::size_t steps)
      : counters_(counters),
        begin_(steps),
        delta_(steps, std::vector<double>(counters.events().size(), 0.0)) {}
  void begin(int step) override { begin_[static_cast<std::size_t>(step)] = counters_.read(); }
  void end(int step) override {
    const CounterReading end = counters_.read();
    const CounterReading& begin = begin_[static_cast<std::size_t>(step)];
    auto& delta = delta_[static_cast<std::size_t>(step)];
    for (std::size_t e = 0; e < delta.size(); ++e)
      delta[e] = end.values[e] - begin.values[e];
    running_fraction_ = std::min(running_fraction_, end.running_fraction);
  }
  // The last iteration's counts of a step, per event.
  const std::vector<double>& delta(std::size_t step) const { return delta_[step]; }
  double running_fraction() const { return running_fraction_; }

 private:
  CounterSource& counters_;
  std::vector<CounterReading> begin_;
  std::vector<std::vector<double>> delta_;
  double running_fraction_ = 1;
};

}  // namespace ntp::profile
