#include "profile/counter_schedule.h"

#include <algorithm>

#include "profile/perf_counters.h"

namespace ntp::profile {

std::vector<std::vector<std::string>> schedule_counter_groups(const std::vector<std::string>& events,
                                                              int hardware_per_group) {
  std::vector<std::vector<std::string>> groups(1);
  std::size_t hardware_in_last = 0;
  for (const std::string& event : events) {
    if (is_software_event(event)) {
      groups.front().push_back(event);
      continue;
    }
    if (hardware_per_group > 0 && hardware_in_last == static_cast<std::size_t>(hardware_per_group)) {
      groups.emplace_back();
      hardware_in_last = 0;
    }
    groups.back().push_back(event);
    ++hardware_in_last;
  }
  return groups;
}

ScheduledCounters::ScheduledCounters(std::vector<std::unique_ptr<CounterSource>> groups, std::size_t steps)
    : sources_(std::move(groups)) {
  for (const auto& source : sources_) {
    offset_.push_back(events_.size());
    events_.insert(events_.end(), source->events().begin(), source->events().end());
    unavailable_.insert(unavailable_.end(), source->unavailable().begin(), source->unavailable().end());
    observers_.push_back(std::make_unique<CounterObserver>(*source, steps));
  }
  sources_.front()->enable();
}

ScheduledCounters::~ScheduledCounters() {
  sources_[active_]->disable();
}

std::vector<std::vector<std::string>> ScheduledCounters::groups() const {
  std::vector<std::vector<std::string>> names;
  for (const auto& source : sources_)
    names.push_back(source->events());
  return names;
}

void ScheduledCounters::start_iteration(int iteration) {
  const std::size_t next = static_cast<std::size_t>(iteration) % sources_.size();
  if (next == active_) return;
  sources_[active_]->disable();
  active_ = next;
  sources_[active_]->enable();
}

void ScheduledCounters::collect(std::vector<std::vector<std::vector<double>>>& values) const {
  const CounterObserver& observer = *observers_[active_];
  for (std::size_t step = 0; step < values.size(); ++step)
    for (std::size_t e = 0; e < observer.delta(step).size(); ++e)
      values[step][offset_[active_] + e].push_back(observer.delta(step)[e]);
}

double ScheduledCounters::running_fraction() const {
  double fraction = 1;
  for (const auto& observer : observers_)
    fraction = std::min(fraction, observer->running_fraction());
  return fraction;
}

}  // namespace ntp::profile
