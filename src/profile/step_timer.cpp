#include "step_timer.h"

#include <chrono>
#include <ctime>

#include "statistics.h"

namespace ntp::profile {

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

double calibrate_timer_overhead_ns() {
  constexpr int kPairs = 2000;
  constexpr int kRounds = 9;
  StepTimer timer(1);
  Observer& observer = timer;  // through the interface, as executables call it
  std::vector<double> per_pair;
  for (int round = 0; round < kRounds; ++round) {
    const std::int64_t start = now_ns();
    for (int i = 0; i < kPairs; ++i) {
      observer.begin(0);
      observer.end(0);
    }
    per_pair.push_back(static_cast<double>(now_ns() - start) / kPairs);
  }
  return summarize(per_pair).median;
}

}  // namespace ntp::profile
