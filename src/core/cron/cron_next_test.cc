// `cronq cron next`: output format and exit codes.
#include "cli/cron_next.h"

#include <sstream>

#include <gtest/gtest.h>

namespace cronq {
namespace {

struct CliRun {
  int code;
  std::string out, err;
};

CliRun CronNext(const std::string& expr, const std::string& tz, const std::string& from, int count) {
  std::ostringstream out, err;
  int code = CronNextMain(expr, tz, from, count, out, err);
  return {code, out.str(), err.str()};
}

TEST(CronNext, PrintsOneUtcInstantPerLine) {
  CliRun r = CronNext("30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "2026-03-07T07:30:00Z\n2026-03-08T07:00:00Z\n2026-03-09T06:30:00Z\n");
  EXPECT_EQ(r.err, "");
}

TEST(CronNext, FromAcceptsOffsetsAndDefaultsToUtc) {
  EXPECT_EQ(CronNext("0 * * * *", "UTC", "2026-03-08T01:30:00+01:00", 1).out, "2026-03-08T01:00:00Z\n");
  EXPECT_EQ(CronNext("0 * * * *", "UTC", "2026-03-08T00:30:00", 1).out, "2026-03-08T01:00:00Z\n");
  EXPECT_EQ(CronNext("0 * * * *", "", "2026-03-08T00:30:00Z", 1).out, "2026-03-08T01:00:00Z\n");  // zone: UTC
}

TEST(CronNext, StrictlyAfterFrom) {
  EXPECT_EQ(CronNext("0 * * * *", "UTC", "2026-03-08T01:00:00Z", 1).out, "2026-03-08T02:00:00Z\n");
}

TEST(CronNext, InvalidInputExitsTwoWithAMessage) {
  CliRun r = CronNext("61 * * * *", "UTC", "2026-03-08T00:00:00Z", 1);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("minute: value 61 out of range 0-59"), std::string::npos) << r.err;

  r = CronNext("* * * * *", "Nowhere/Land", "2026-03-08T00:00:00Z", 1);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown zone"), std::string::npos) << r.err;

  r = CronNext("* * * * *", "UTC", "yesterday", 1);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;

  EXPECT_EQ(CronNext("* * * * *", "UTC", "2026-03-08T00:00:00Z", 0).code, 2);
  EXPECT_EQ(CronNext("* * * * *", "UTC", "2026-03-08T00:00:00Z", kCronNextMaxCount + 1).code, 2);
}

TEST(CronNext, NeverFiringPrintsNothingAndSaysSo) {
  CliRun r = CronNext("0 0 30 2 *", "UTC", "2026-03-08T00:00:00Z", 3);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no more fire times"), std::string::npos);
}

}  // namespace
}  // namespace cronq
