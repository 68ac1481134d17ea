// Counters over Linux perf_event_open, with event names resolved by libpfm4, so perf's generic names
// (cycles, instructions, LLC-load-misses, task-clock) and raw PMU names (amd64_fam19h::RETIRED_UOPS) both
// work. One group per thread of the process, each read atomically; the figures are summed over threads and
// scaled by time enabled / time running where the kernel multiplexed the group.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profile/counter_source.h"

namespace ntp::profile {

// The named sets of --counters: basic, cache, memory, topdown, software. Empty for an unknown name.
std::vector<std::string> counter_set(const std::string& name);
std::vector<std::string> counter_set_names();
// "software,LLC-load-misses" -> event names, named sets expanded, each once, in order.
std::vector<std::string> expand_counter_list(const std::string& list);

class PerfCounters final : public CounterSource {
 public:
  // Resolves every name (throws UserError for a name libpfm4 does not know, with a hint) and opens the
  // events it can on every thread the process has now; the ones it cannot open are listed in unavailable().
  explicit PerfCounters(const std::vector<std::string>& events);
  ~PerfCounters();
  PerfCounters(const PerfCounters&) = delete;
  PerfCounters& operator=(const PerfCounters&) = delete;

  // Events that opened, in the order asked for.
  const std::vector<std::string>& events() const override { return events_; }
  const std::vector<UnavailableEvent>& unavailable() const override { return unavailable_; }
  int threads() const override { return static_cast<int>(groups_.size()); }

  void enable() override;
  void disable() override;
  CounterReading read() const override;

 private:
  struct ThreadGroup {
    std::vector<int> fds;  // leader first; -1 for an event this thread could not open
  };
  std::vector<std::string> events_;
  std::vector<std::uint64_t> encodings_type_;
  std::vector<UnavailableEvent> unavailable_;
  std::vector<ThreadGroup> groups_;
};

// Whether an event is one of the kernel's software events (no PMU counter); throws for unknown names.
bool is_software_event(const std::string& name);

// Whether this machine exposes a hardware PMU to this process (a virtual machine often does not).
bool hardware_counters_available();

}  // namespace ntp::profile
