// The clocks' time until an instant: the engine sleeps exactly that long.
#include "core/clock.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

TEST(Clock, ManualClockCountsWholeMilliseconds) {
  ManualClock c(1'000);
  EXPECT_EQ(c.MicrosUntil(1'250), 250'000);
  EXPECT_EQ(c.MicrosUntil(1'000), 0);
  EXPECT_EQ(c.MicrosUntil(990), -10'000);
}

TEST(Clock, SystemClockCountsTheMicrosecondsLeftInTheMillisecond) {
  SystemClock c;
  // Now() truncates to the millisecond, so the time until the next millisecond
  // is at most 1000 us and more than 0 (give the scheduler 50 ms of slack).
  for (int i = 0; i < 100; ++i) {
    const TimeMs now = c.Now();
    const int64_t left = c.MicrosUntil(now + 1);
    EXPECT_LE(left, 1'000);
    EXPECT_GT(left, -50'000);
    EXPECT_LE(c.MicrosUntil(now + 60'000), 60'000'000);
    EXPECT_GT(c.MicrosUntil(now + 60'000), 59'000'000);
  }
}

}  // namespace
}  // namespace cronq
