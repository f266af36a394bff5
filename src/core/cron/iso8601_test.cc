#include "core/cron/iso8601.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

TimeMs Ms(const char* s) {
  Result<TimeMs> r = ParseIso8601(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}

TEST(CronIso8601, ParsesUtcOffsetsAndFractions) {
  const TimeMs base = 1772928000000;  // 2026-03-08T00:00:00Z
  EXPECT_EQ(Ms("2026-03-08T00:00:00Z"), base);
  EXPECT_EQ(Ms("2026-03-08T00:00:00"), base);
  EXPECT_EQ(Ms("2026-03-08t00:00z"), base);
  EXPECT_EQ(Ms("2026-03-08 00:00:00Z"), base);
  EXPECT_EQ(Ms("2026-03-08T01:00:00+01:00"), base);
  EXPECT_EQ(Ms("2026-03-08T01:00:00+0100"), base);
  EXPECT_EQ(Ms("2026-03-08T01:00:00+01"), base);
  EXPECT_EQ(Ms("2026-03-07T19:00:00-05:00"), base);
  EXPECT_EQ(Ms("2026-03-08T05:30:00+05:30"), base);
  EXPECT_EQ(Ms("2026-03-08T00:00:00.5Z"), base + 500);
  EXPECT_EQ(Ms("2026-03-08T00:00:00.123456Z"), base + 123);
  EXPECT_EQ(Ms("1969-12-31T23:59:59Z"), -1000);
}

TEST(CronIso8601, RejectsMalformedTimes) {
  for (const char* bad : {"", "2026", "2026-03-08", "2026-3-8T00:00Z", "2026-02-30T00:00:00Z", "2026-03-08T24:00:00Z",
                          "2026-03-08T00:60:00Z", "2026-03-08T00:00:60Z", "2026-03-08T00:00:00+24:00",
                          "2026-03-08T00:00:00Q", "2026-03-08T00:00:00Z junk", "2026-03-08T00:00:00.Z",
                          "0000-01-01T00:00:00Z"}) {
    Result<TimeMs> r = ParseIso8601(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsInvalidArgument());
    }
  }
}

TEST(CronIso8601, FormatsWholeSecondsInUtc) {
  EXPECT_EQ(FormatIso8601(1772928000000), "2026-03-08T00:00:00Z");
  EXPECT_EQ(FormatIso8601(1772928000999), "2026-03-08T00:00:00Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIso8601(253402300799000), "9999-12-31T23:59:59Z");
}

}  // namespace
}  // namespace cronq
