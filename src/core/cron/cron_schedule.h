// CronSchedule: a cron expression bound to an IANA time zone, answering "when does
// it fire next?".
//
// Pure: no clock reads; the caller passes the instant to search from. Time zone
// data comes from the system zoneinfo through date/tz (Howard Hinnant's library).
//
// DST rule (DESIGN.md section 3, docs/cron.md has worked examples):
//  - If second, minute and hour each allow exactly one value, the expression names
//    one local time of day. On a matching date it fires once: at that local time;
//    if that time falls in a spring-forward gap, at the first instant after the gap;
//    if it occurs twice (fall back), at its first occurrence only.
//  - Otherwise it fires at every real instant whose local time matches: twice in a
//    repeated hour, never inside a gap.
//
// Known limit: date/tz reads only the explicit transitions in the zoneinfo files,
// which Debian's tzdata lists up to 2037; later years use the last offset listed.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/cron/cron_days.h"
#include "core/cron/cron_expr.h"
#include "core/status.h"

namespace date {
class time_zone;
}

namespace cronq {

// An immutable value: copy it freely and call NextAfter from any thread.
class CronSchedule {
 public:
  // InvalidArgument for a malformed expression (the message names the field) or an
  // unknown zone name. The first call reads the zoneinfo directory (date/tz).
  static Result<CronSchedule> Create(std::string_view expr, std::string_view zone);
  static Result<CronSchedule> Create(const CronExpr& expr, std::string_view zone);

  // The first fire instant strictly after t, in whole seconds (a multiple of 1000).
  // nullopt when the expression never fires again: the search covers 401 years
  // (a full Gregorian cycle, so Feb 29 and "5th Monday of February" are found)
  // and stops at 9999-12-31. Takes microseconds: it skips by month, day, hour
  // and minute, never by scanning seconds.
  std::optional<TimeMs> NextAfter(TimeMs t) const;

  const CronExpr& expr() const { return expr_; }
  std::string_view zone_name() const;

 private:
  using Sec = int64_t;  // seconds since 1970-01-01, UTC or local wall time

  CronSchedule(const CronExpr& expr, const date::time_zone* zone);

  std::optional<Sec> NextFloating(Sec start, Sec limit) const;
  std::optional<Sec> NextFixed(Sec start, Sec limit) const;
  std::optional<Sec> NextLocal(Sec local, Sec local_limit) const;
  std::optional<int64_t> NextDay(int64_t day, int64_t last_day) const;
  std::optional<int> NextTimeOfDay(int second_of_day) const;
  Sec ResolveLocal(Sec local) const;

  CronExpr expr_;
  DayTable days_;
  const date::time_zone* zone_;  // owned by date's tz database; lives until exit
  bool can_fire_;
  int fixed_second_of_day_;  // -1 unless FixedTimeOfDay()
};

}  // namespace cronq
