#include "profile/memory_observer.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ntp::profile {

namespace {

// /proc/self/statm's second field (resident pages); the file stays open, read from offset 0 each time.
std::int64_t resident_bytes() {
  static const int statm = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  static const long page = ::sysconf(_SC_PAGESIZE);
  if (statm < 0) return 0;
  char text[128] = {};
  if (::pread(statm, text, sizeof text - 1, 0) <= 0) return 0;
  long long size = 0;
  long long resident = 0;
  if (std::sscanf(text, "%lld %lld", &size, &resident) != 2) return 0;
  return resident * page;
}

}  // namespace

MemoryReading read_memory() {
  MemoryReading reading;
  const struct mallinfo2 heap = ::mallinfo2();
  reading.heap_bytes = static_cast<std::int64_t>(heap.uordblks + heap.hblkhd);
  reading.rss_bytes = resident_bytes();
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  // The kernel updates ru_maxrss lazily: the resident set now may already be above it.
  reading.peak_rss_bytes = std::max(static_cast<std::int64_t>(usage.ru_maxrss) * 1024, reading.rss_bytes);
  return reading;
}

}  // namespace ntp::profile
