// Memory per step: how much the heap and the resident set grew while a step ran, and whether it raised the
// process's peak RSS. Works everywhere (glibc's malloc statistics and the kernel's accounting), with no
// PMU. Reading costs microseconds, so runs observe the cold inference and one warm-up iteration with it,
// never the measured ones.
#pragma once

#include <cstdint>
#include <vector>

#include "ntp/observer.h"

namespace ntp::profile {

struct MemoryReading {
  std::int64_t heap_bytes = 0;      // bytes in use in malloc's arenas and its mmapped blocks
  std::int64_t rss_bytes = 0;       // resident set now
  std::int64_t peak_rss_bytes = 0;  // the process's resident-set high-water mark
};

MemoryReading read_memory();

// Per step, the change from its begin to its end (the peak's change says how far the step raised it).
class MemoryObserver final : public Observer {
 public:
  explicit MemoryObserver(std::size_t steps) : begin_(steps), delta_(steps) {}
  void begin(int step) override { begin_[static_cast<std::size_t>(step)] = read_memory(); }
  void end(int step) override {
    const MemoryReading end = read_memory();
    const MemoryReading& begin = begin_[static_cast<std::size_t>(step)];
    delta_[static_cast<std::size_t>(step)] = {end.heap_bytes - begin.heap_bytes,
                                              end.rss_bytes - begin.rss_bytes,
                                              end.peak_rss_bytes - begin.peak_rss_bytes};
  }
  const std::vector<MemoryReading>& deltas() const { return delta_; }

 private:
  std::vector<MemoryReading> begin_;
  std::vector<MemoryReading> delta_;
};

}  // namespace ntp::profile
