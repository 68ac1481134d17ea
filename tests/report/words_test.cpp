// Counts in the text reports agree with their nouns: "1 thread", "2 threads", never "1 threads" or
// "thread(s)" (issue 17).
#include <gtest/gtest.h>

#include "report/text_table.h"

TEST(Words, CountsAgreeWithTheirNouns) {
  EXPECT_EQ(ntp::report::counted(1, "iteration"), "1 iteration");
  EXPECT_EQ(ntp::report::counted(0, "warm-up"), "0 warm-ups");
  EXPECT_EQ(ntp::report::counted(20, "thread"), "20 threads");
  EXPECT_EQ(ntp::report::threads_phrase(1), "1 thread");
  EXPECT_EQ(ntp::report::threads_phrase(0), "the library's default threads");
}
