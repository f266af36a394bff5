// CronSchedule edges the golden vectors cannot express.
#include "core/cron/cron_schedule.h"

#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cronq {
namespace {

TEST(CronSchedule, ExtremeInstantsAreSafe) {
  Result<CronSchedule> s = CronSchedule::Create("* * * * * *", "America/New_York");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->NextAfter(std::numeric_limits<TimeMs>::max()), std::nullopt);
  std::optional<TimeMs> first = s->NextAfter(std::numeric_limits<TimeMs>::min());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, -62135596800000);  // 0001-01-01T00:00:00Z, the start of the domain
  EXPECT_EQ(s->NextAfter(-1), 0);
  EXPECT_EQ(s->NextAfter(-1001), -1000);
}

TEST(CronSchedule, HandBuiltExpressionsAreChecked) {
  CronExpr empty;  // no values in any time field
  EXPECT_TRUE(CronSchedule::Create(empty, "UTC").status().IsInvalidArgument());
  CronExpr e = *ParseCron("* * * * *");
  e.hours |= 1u << 30;
  EXPECT_TRUE(CronSchedule::Create(e, "UTC").status().IsInvalidArgument());
  EXPECT_TRUE(CronSchedule::Create(*ParseCron("* * * * *"), "UTC").ok());
}

TEST(CronSchedule, KeepsTheZoneName) {
  Result<CronSchedule> s = CronSchedule::Create("@daily", "Australia/Lord_Howe");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->zone_name(), "Australia/Lord_Howe");
}

TEST(CronSchedule, SharedAcrossThreads) {
  Result<CronSchedule> s = CronSchedule::Create("*/7 * * * * *", "Europe/London");
  ASSERT_TRUE(s.ok());
  const CronSchedule& shared = *s;
  std::vector<std::thread> threads;
  std::vector<TimeMs> last(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&shared, &last, i] {
      TimeMs t = 1774746000000;  // 2026-03-29T01:00:00Z, London's spring-forward
      for (int k = 0; k < 2000; ++k) t = *shared.NextAfter(t);
      last[i] = t;
    });
  }
  for (std::thread& t : threads) t.join();
  for (TimeMs t : last) EXPECT_EQ(t, last[0]);
}

}  // namespace
}  // namespace cronq
