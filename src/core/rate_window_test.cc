#include "core/rate_window.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

TEST(RateWindow, NoLimitAlwaysGrants) {
  RateWindow w(RateLimit{});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(w.Reserve(0, nullptr).has_value());
}

TEST(RateWindow, AtMostMaxStartsPerWindow) {
  RateWindow w(RateLimit{2, 1000});
  Millis wait = 0;
  auto a = w.Reserve(0, &wait), b = w.Reserve(0, &wait);
  ASSERT_TRUE(a && b);
  w.Confirm(*a, 100);
  w.Confirm(*b, 300);
  EXPECT_FALSE(w.Reserve(500, &wait));
  EXPECT_EQ(wait, 600);  // the first start leaves the window at 1100
  EXPECT_FALSE(w.Reserve(1099, &wait));
  EXPECT_TRUE(w.Reserve(1100, &wait));
  EXPECT_FALSE(w.Reserve(1200, &wait));
  EXPECT_EQ(wait, 100);
}

TEST(RateWindow, PendingReservationsCountAndDoNotAge) {
  RateWindow w(RateLimit{1, 1000});
  Millis wait = 0;
  auto a = w.Reserve(0, &wait);
  ASSERT_TRUE(a);
  EXPECT_FALSE(w.Reserve(5000, &wait)) << "a long-poll holding the slot blocks others however long it waits";
  EXPECT_GT(wait, 0);
  w.Confirm(*a, 5000);
  EXPECT_FALSE(w.Reserve(5999, &wait)) << "the window starts when the job started, not when it was reserved";
  EXPECT_TRUE(w.Reserve(6000, &wait));
}

TEST(RateWindow, CancelFreesTheSlot) {
  RateWindow w(RateLimit{1, 1000});
  Millis wait = 0;
  auto a = w.Reserve(0, &wait);
  ASSERT_TRUE(a);
  w.Cancel(*a);
  EXPECT_TRUE(w.Reserve(1, &wait));
}

}  // namespace
}  // namespace cronq
