// More events than the PMU has counters: the events are split into groups that each fit, and the measured
// iterations take turns, one group counting per iteration (iteration i counts group i mod G), so no group
// is multiplexed and each event's per-layer figure is the median over the iterations its group counted.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ntp/observer.h"
#include "profile/counter_observer.h"
#include "profile/counter_source.h"

namespace ntp::profile {

// Splits `events` into groups of at most `hardware_per_group` hardware events (0: one group); software
// events (task-clock, page-faults, ...) take no PMU counter and go into the first group.
std::vector<std::vector<std::string>> schedule_counter_groups(const std::vector<std::string>& events,
                                                              int hardware_per_group);

class ScheduledCounters final : public Observer {
 public:
  // One source per group, opened now (after warm-up, when the library's threads exist); the first enabled.
  ScheduledCounters(std::vector<std::unique_ptr<CounterSource>> groups, std::size_t steps);
  ~ScheduledCounters() override;
  ScheduledCounters(const ScheduledCounters&) = delete;
  ScheduledCounters& operator=(const ScheduledCounters&) = delete;

  const std::vector<std::string>& events() const { return events_; }  // every group's, in group order
  const std::vector<UnavailableEvent>& unavailable() const { return unavailable_; }
  std::vector<std::vector<std::string>> groups() const;
  int threads() const { return sources_.front()->threads(); }

  // Before measured iteration `iteration`: switches counting to its group.
  void start_iteration(int iteration);
  // After it: appends the counting group's per-step figures to values[step][event].
  void collect(std::vector<std::vector<std::vector<double>>>& values) const;
  double running_fraction() const;

  void begin(int step) override { observers_[active_]->begin(step); }
  void end(int step) override { observers_[active_]->end(step); }

 private:
  std::vector<std::unique_ptr<CounterSource>> sources_;
  std::vector<std::unique_ptr<CounterObserver>> observers_;
  std::vector<std::size_t> offset_;  // each group's first event in events_
  std::vector<std::string> events_;
  std::vector<UnavailableEvent> unavailable_;
  std::size_t active_ = 0;
};

}  // namespace ntp::profile
