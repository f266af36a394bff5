// Parser unit tests for what the golden vectors cannot show: the parsed sets.
#include <gtest/gtest.h>

#include "core/cron/cron_expr.h"

namespace cronq {
namespace {

CronExpr Parse(const char* text) {
  Result<CronExpr> e = ParseCron(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  return e.ok() ? *e : CronExpr{};
}

TEST(CronParse, FiveFieldsMeanSecondZero) {
  CronExpr e = Parse("* * * * *");
  EXPECT_EQ(e.seconds, 1u);
  EXPECT_EQ(e.minutes, (uint64_t{1} << 60) - 1);
  EXPECT_EQ(e.hours, (1u << 24) - 1);
  EXPECT_EQ(e.months, 0x1FFE);
  EXPECT_EQ(e.weekdays, 0x7F);
  EXPECT_TRUE(e.any_day_of_month && e.any_day_of_week);
}

TEST(CronParse, QuestionMarkIsStar) {
  CronExpr a = Parse("0 0 ? * ?"), b = Parse("0 0 * * *");
  EXPECT_EQ(a.days, b.days);
  EXPECT_EQ(a.weekdays, b.weekdays);
  EXPECT_TRUE(a.any_day_of_month && a.any_day_of_week);
}

TEST(CronParse, SevenIsSunday) {
  EXPECT_EQ(Parse("0 0 * * 7").weekdays, 1u);
  EXPECT_EQ(Parse("0 0 * * 5-7").weekdays, 0b1100001u);
  EXPECT_EQ(Parse("0 0 * * MON-SUN").weekdays, 0x7Fu);
  EXPECT_EQ(Parse("0 0 * * 7L").last_of_weekday, 1u);
  EXPECT_EQ(Parse("0 0 * * 7#2").nth_weekday[2], 1u);
}

TEST(CronParse, StepFromValueRunsToTheMax) {
  EXPECT_EQ(Parse("50/4 * * * *").minutes, (uint64_t{1} << 50) | (uint64_t{1} << 54) | (uint64_t{1} << 58));
  EXPECT_EQ(Parse("0 0 * * 3/2").weekdays, 0b0101000u);  // 3, 5 (day-of-week max is 6)
}

TEST(CronParse, RestrictedDayFields) {
  EXPECT_FALSE(Parse("0 0 */2 * *").any_day_of_month);  // a step is a restriction
  EXPECT_FALSE(Parse("0 0 L * *").any_day_of_month);
  EXPECT_TRUE(Parse("0 0 L * *").last_day);
  EXPECT_FALSE(Parse("0 0 * * 1#1").any_day_of_week);
  CronExpr w = Parse("0 0 1W,15W,LW * *");
  EXPECT_EQ(w.nearest_weekday, (1u << 1) | (1u << 15));
  EXPECT_TRUE(w.last_weekday);
}

TEST(CronParse, FixedTimeOfDayNeedsOneValueInEachTimeField) {
  EXPECT_TRUE(Parse("30 2 * * *").FixedTimeOfDay());
  EXPECT_TRUE(Parse("0 30 2 1 1 1").FixedTimeOfDay());
  EXPECT_TRUE(Parse("@daily").FixedTimeOfDay());
  EXPECT_TRUE(Parse("30 2-2 * * *").FixedTimeOfDay());  // a one-value range is one value
  EXPECT_FALSE(Parse("*/30 2 * * *").FixedTimeOfDay());
  EXPECT_FALSE(Parse("30 2,3 * * *").FixedTimeOfDay());
  EXPECT_FALSE(Parse("* 30 2 * * *").FixedTimeOfDay());
  EXPECT_FALSE(Parse("@hourly").FixedTimeOfDay());
}

TEST(CronParse, MacrosEqualTheirExpansion) {
  auto same = [](const char* a, const char* b) {
    CronExpr x = Parse(a), y = Parse(b);
    return x.seconds == y.seconds && x.minutes == y.minutes && x.hours == y.hours && x.days == y.days &&
           x.months == y.months && x.weekdays == y.weekdays && x.any_day_of_month == y.any_day_of_month &&
           x.any_day_of_week == y.any_day_of_week;
  };
  EXPECT_TRUE(same("@yearly", "0 0 1 1 *"));
  EXPECT_TRUE(same("@annually", "0 0 1 1 *"));
  EXPECT_TRUE(same("@monthly", "0 0 1 * *"));
  EXPECT_TRUE(same("@weekly", "0 0 * * 0"));
  EXPECT_TRUE(same("@daily", "0 0 * * *"));
  EXPECT_TRUE(same("@midnight", "0 0 * * *"));
  EXPECT_TRUE(same("@hourly", "0 * * * *"));
}

TEST(CronParse, ErrorsAreInvalidArgument) {
  Result<CronExpr> e = ParseCron("61 * * * *");
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsInvalidArgument());
  EXPECT_EQ(e.status().message(), "minute: value 61 out of range 0-59");
}

TEST(CronParse, LongGarbageGivesAShortMessage) {
  std::string junk(5000, 'x');
  Result<CronExpr> e = ParseCron(junk + " * * * *");
  ASSERT_FALSE(e.ok());
  EXPECT_LT(e.status().message().size(), 100u);
}

}  // namespace
}  // namespace cronq
