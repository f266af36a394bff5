#include "core/planner.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

TEST(Planner, WakesAtTheEarliestDeadline) {
  Deadlines d;
  EXPECT_EQ(NextWake(d, 1000), 1000 + kIdleWake);
  d.next_delayed = 5000;
  d.next_lease = 3000;
  d.next_waiter = 4000;
  EXPECT_EQ(NextWake(d, 1000), 3000);
  d.next_retention = 2000;
  EXPECT_EQ(NextWake(d, 1000), 2000);
}

TEST(Planner, PastDeadlinesWakeNow) {
  Deadlines d;
  d.next_delayed = 10;
  EXPECT_EQ(NextWake(d, 1000), 1000);
  EXPECT_TRUE(StoreWorkDue(d, 1000));
  EXPECT_FALSE(StoreWorkDue(d, 9));
}

TEST(Planner, ScheduleSlotsAreStoreWork) {
  Deadlines d;
  d.next_schedule = 2000;
  EXPECT_EQ(NextWake(d, 1000), 2000);
  EXPECT_FALSE(StoreWorkDue(d, 1999));
  EXPECT_TRUE(StoreWorkDue(d, 2000));
}

TEST(Planner, WaiterDeadlinesAreNotStoreWork) {
  Deadlines d;
  d.next_waiter = 10;
  EXPECT_FALSE(StoreWorkDue(d, 1000));
  EXPECT_EQ(NextWake(d, 1000), 1000);
}

}  // namespace
}  // namespace cronq
