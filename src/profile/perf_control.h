// The relaunched side of `perf stat --control fifo:CTL,ACK --delay=-1`: perf starts with its events
// disabled, and this process enables them at the start of each region and disables them at its end,
// waiting for perf's acknowledgement so the counts cover exactly the region.
#pragma once

#include <string>

#include "ntp/observer.h"
#include "profile/tool_regions.h"

namespace ntp::profile {

// Switches a tool's counting on and off.
class CountingSwitch {
 public:
  virtual ~CountingSwitch() = default;
  virtual void enable() = 0;
  virtual void disable() = 0;
};

class PerfControl final : public CountingSwitch {
 public:
  // `fifos` is "CTL,ACK", the two named pipes perf was given.
  explicit PerfControl(const std::string& fifos);
  ~PerfControl();
  PerfControl(const PerfControl&) = delete;
  PerfControl& operator=(const PerfControl&) = delete;

  void enable() override { command("enable"); }
  void disable() override { command("disable"); }

 private:
  void command(const char* word);
  int control_ = -1;
  int acknowledge_ = -1;
};

// Enables perf when the first region opens and disables it when the last open one closes.
class PerfControlObserver final : public Observer {
 public:
  PerfControlObserver(CountingSwitch& control, ToolRegions regions, int last_step)
      : control_(control), regions_(std::move(regions)), last_step_(last_step) {}
  void begin(int step) override {
    const int opening = regions_.everything() ? (step == 0 ? 1 : 0) : regions_.opening_at(step);
    if (opening > 0 && open_ == 0) control_.enable();
    open_ += opening;
  }
  void end(int step) override {
    const int closing = regions_.everything() ? (step == last_step_ ? 1 : 0) : regions_.closing_at(step);
    if (closing == 0) return;
    open_ -= closing;
    if (open_ == 0) control_.disable();
  }

 private:
  CountingSwitch& control_;
  ToolRegions regions_;
  int last_step_;
  int open_ = 0;
};

}  // namespace ntp::profile
