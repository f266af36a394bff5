// CronExpr: a parsed cron expression, as plain sets of allowed values.
//
// ParseCron turns text into this value; CronSchedule (cron_schedule.h) searches
// it for fire times. The parser never allocates per field value and never throws:
// every malformed input becomes an InvalidArgument whose message starts with the
// field's name, e.g. "minute: value 61 out of range 0-59".
//
// Syntax (docs/cron.md has the full table):
//   5 fields: minute hour day-of-month month day-of-week   (second is 0)
//   6 fields: second minute hour day-of-month month day-of-week
//   @yearly @annually @monthly @weekly @daily @midnight @hourly
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cronq {

struct CronExpr {
  // Bit i set = value i allowed.
  uint64_t seconds = 0;  // bits 0-59
  uint64_t minutes = 0;  // bits 0-59
  uint32_t hours = 0;    // bits 0-23
  uint32_t days = 0;     // bits 1-31: plain day-of-month values
  uint16_t months = 0;   // bits 1-12
  uint8_t weekdays = 0;  // bits 0-6, 0 = Sunday (7 is folded into 0)

  // Day-of-month specials.
  bool last_day = false;            // L: the last day of the month
  bool last_weekday = false;        // LW: the last Monday-Friday of the month
  uint32_t nearest_weekday = 0;     // nW: bit n set; the weekday nearest day n, same month

  // Day-of-week specials.
  uint8_t last_of_weekday = 0;      // nL: bit n set; the last weekday n of the month
  std::array<uint8_t, 6> nth_weekday{};  // n#k: bit n of nth_weekday[k] (k = 1..5)

  // True when the field was written as "*" or "?". The Vixie rule: when both
  // day fields are restricted, a day matches if either matches; otherwise the
  // restricted one (if any) decides.
  bool any_day_of_month = true;
  bool any_day_of_week = true;

  // True when second, minute and hour each allow exactly one value: such an
  // expression names one local time of day and gets the "fire once" DST rule.
  bool FixedTimeOfDay() const;
};

// Parses a cron expression. Leading/trailing blanks are ignored; fields are
// separated by spaces or tabs; names and macros are case-insensitive.
Result<CronExpr> ParseCron(std::string_view text);

}  // namespace cronq
