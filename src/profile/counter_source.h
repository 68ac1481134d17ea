// Where per-layer counters come from: perf_event directly (PerfCounters) or PAPI (PapiCounters). The
// counter observer, the run record and every view work the same for either.
#pragma once

#include <string>
#include <vector>

namespace ntp::profile {

struct CounterReading {
  std::vector<double> values;   // per event, summed over threads, scaled for multiplexing
  double running_fraction = 1;  // the lowest time running / time enabled of any group (1: never multiplexed)
};

// An event that could not be opened, and why (e.g. no hardware PMU in a virtual machine).
struct UnavailableEvent {
  std::string name;
  std::string reason;
};

class CounterSource {
 public:
  virtual ~CounterSource() = default;
  // Events that opened, in the order asked for.
  virtual const std::vector<std::string>& events() const = 0;
  virtual const std::vector<UnavailableEvent>& unavailable() const = 0;
  virtual int threads() const = 0;  // threads counted
  virtual void enable() = 0;
  virtual void disable() = 0;
  // Cumulative counts since enable(); a step's figures are the difference of two readings.
  virtual CounterReading read() const = 0;
};

}  // namespace ntp::profile
