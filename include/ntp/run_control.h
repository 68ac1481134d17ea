// What a caller holds over a run while it goes: when to stop measuring (a count, a time, or a precision
// the median must reach), a flag that ends it early (Ctrl-C), and where progress goes.
#pragma once

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>

namespace ntp {

// When the measured iterations stop. Without a time or a precision target: after `iterations`.
//  - time_seconds > 0: for that long (and at least 3 iterations), whatever `iterations` says;
//  - precision_target > 0: `iterations` is the least, then on until the 95% confidence interval of the
//    median latency is within that fraction of it (0.02: +-2%), or max_time_seconds has passed (60 s when
//    not given);
//  - min_time_seconds: go on at least this long; max_time_seconds: stop by then (after 1 iteration at least).
struct StoppingRule {
  int iterations = 10;
  double time_seconds = 0;
  double min_time_seconds = 0;
  double max_time_seconds = 0;
  double precision_target = 0;
};
inline constexpr double kDefaultMaxTimeWithTarget = 60;

// Why the measured iterations stopped (the run record's latency.stopped_by).
enum class StopReason { iterations, time, precision_target, max_time, interrupted };
const char* stop_reason_name(StopReason reason);

// Where a run is, for a progress line: the phase ("compiling", "cold run", "warm-up", "measuring"), how far
// into it, and what the caller may show about how long is left.
struct RunProgress {
  std::string phase;
  int done = 0;
  int total = 0;                    // 0: open-ended (a time, or a precision target)
  double elapsed_seconds = 0;       // since the phase began
  double seconds_left = -1;         // < 0: unknown
  double relative_half_width = -1;  // with a precision target: where the median's interval is now
};

struct RunControl {
  // Set (by a signal handler or another thread) to stop measuring: the iterations done so far are kept and
  // the record is marked partial. Before the first measured iteration, the run throws ntp::Interrupted.
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const RunProgress&)> progress;  // called between iterations; empty: none
};

// Thrown when RunControl::stop is set before anything was measured.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(const std::string& phase) : std::runtime_error("interrupted during " + phase) {}
};

}  // namespace ntp
