// Memory per step: a step that allocates and touches a buffer shows it in the heap and the resident set.
#include "profile/memory_observer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace {

constexpr std::int64_t kBuffer = 64 << 20;

TEST(MemoryObserver, SeesAStepAllocateTouchAndFree) {
  ntp::profile::MemoryObserver observer(2);
  observer.begin(0);
  auto* buffer = static_cast<char*>(std::malloc(kBuffer));
  ASSERT_NE(buffer, nullptr);
  std::memset(buffer, 1, kBuffer);  // resident only once touched
  observer.end(0);
  observer.begin(1);
  volatile char keep = buffer[kBuffer / 2];
  (void)keep;
  std::free(buffer);
  observer.end(1);
  const auto& allocated = observer.deltas()[0];
  EXPECT_GE(allocated.rss_bytes, kBuffer * 9 / 10);
  EXPECT_GE(allocated.peak_rss_bytes, 0);
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator is not glibc's: mallinfo2 does not see its blocks, and freed "
                  "memory waits in its quarantine";
#else
  EXPECT_LE(observer.deltas()[1].rss_bytes, -kBuffer * 9 / 10)
      << "a freed mmapped block leaves the resident set";
  EXPECT_GE(allocated.heap_bytes, kBuffer);
  EXPECT_LE(observer.deltas()[1].heap_bytes, -kBuffer);
#endif
}

TEST(MemoryObserver, ReadingsArePlausible) {
  const auto now = ntp::profile::read_memory();
  EXPECT_GT(now.rss_bytes, 1 << 20);
  EXPECT_GE(now.peak_rss_bytes, now.rss_bytes);
}

}  // namespace
