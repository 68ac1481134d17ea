// Preloaded into `ntp` when --tool callgrind relaunches it under valgrind, and nowhere else. Debian's
// LibTorch pulls in libavcodec -> libjxl -> libhwy, whose load-time initialiser measures its timer with
// RDTSCP, an instruction valgrind 3.19 cannot run (the process dies with SIGILL before main). This
// definition takes the place of libhwy's (which only calibrates its own benchmark timer), so the relaunched
// process loads; nothing in NTP uses libhwy.
#include <cstdint>

namespace hwy::platform {
std::uint64_t TimerResolution();
std::uint64_t TimerResolution() {
  return 1;
}
}  // namespace hwy::platform
