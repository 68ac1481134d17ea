// Ctrl-C and SIGTERM during a run or a sweep: the handler only sets a flag, which the measuring loop and
// the sweep's wait look at, so that what was measured so far is still printed and written.
#pragma once

#include <atomic>
#include <functional>

#include "ntp/run_control.h"

namespace ntp::cli {

// Catches SIGINT and SIGTERM while it lives, then puts back what was there. A second signal of the same
// kind ends the process as the default action would (a user pressing Ctrl-C twice means it).
class InterruptionCatcher {
 public:
  InterruptionCatcher();
  ~InterruptionCatcher();
  InterruptionCatcher(const InterruptionCatcher&) = delete;
  InterruptionCatcher& operator=(const InterruptionCatcher&) = delete;

  const std::atomic<bool>& flag() const;
  bool caught() const { return flag().load(); }
};

// The signal caught (0: none) and the exit status for it: 128 + the signal, as a shell reports a process
// the signal ended (130 for Ctrl-C).
int caught_signal();
int interrupted_exit_status();

// A one-line progress display on standard error when it is a terminal (nothing otherwise): the phase,
// iteration i/n, elapsed time and an estimate of what is left, redrawn at most ten times a second once the
// run has taken a second; the line is cleared when this is destroyed.
class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  // For RunControl::progress; empty when standard error is not a terminal.
  std::function<void(const RunProgress&)> callback();
  // The text shown for `progress` (for tests).
  static std::string describe(const RunProgress& progress);

 private:
  bool enabled_;
  bool shown_ = false;
  long long started_ns_;
  long long last_drawn_ns_ = 0;
};

}  // namespace ntp::cli
