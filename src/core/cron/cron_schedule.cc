#include "core/cron/cron_schedule.h"

#include <algorithm>
#include <bit>
#include <date/tz.h>

namespace cronq {
namespace {

using Sec = int64_t;
constexpr Sec kDay = 86400;
// The search domain: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr Sec kMinSec = -62135596800;
constexpr Sec kMaxSec = 253402300799;
// 401 years of seconds: one full Gregorian cycle plus slack for the start year.
constexpr Sec kHorizon = Sec{401} * 366 * kDay;

Sec FloorDiv(Sec a, Sec b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  uint64_t m = mask & (~uint64_t{0} << from);
  return m ? std::countr_zero(m) : -1;
}

int64_t DayNumber(int y, unsigned m, unsigned d) {
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}}.time_since_epoch().count();
}

// A CronExpr built by hand (not by ParseCron) must still have a value in every
// time field and no bit outside its field's range.
Status CheckExpr(const CronExpr& e) {
  bool ok = e.seconds != 0 && e.seconds < (uint64_t{1} << 60) && e.minutes != 0 && e.minutes < (uint64_t{1} << 60) &&
            e.hours != 0 && e.hours < (1u << 24) && e.months != 0 && (e.months & 0xE001) == 0 &&
            (e.days & 1) == 0 && (e.nearest_weekday & 1) == 0 && e.weekdays < 0x80;
  return ok ? Status::Ok() : Status::InvalidArgument("expression: a field is empty or out of range");
}

}  // namespace

CronSchedule::CronSchedule(const CronExpr& expr, const date::time_zone* zone)
    : expr_(expr),
      days_(expr),
      zone_(zone),
      can_fire_(days_.CanMatch(expr.months)),
      fixed_second_of_day_(-1) {
  if (expr.FixedTimeOfDay()) {
    fixed_second_of_day_ = std::countr_zero(expr.hours) * 3600 + std::countr_zero(expr.minutes) * 60 +
                           std::countr_zero(expr.seconds);
  }
}

Result<CronSchedule> CronSchedule::Create(std::string_view expr, std::string_view zone) {
  CRONQ_ASSIGN_OR_RETURN(CronExpr parsed, ParseCron(expr));
  return Create(parsed, zone);
}

Result<CronSchedule> CronSchedule::Create(const CronExpr& expr, std::string_view zone) {
  CRONQ_RETURN_IF_ERROR(CheckExpr(expr));
  if (zone.empty()) return Status::InvalidArgument("time zone: empty name");
  try {
    return CronSchedule(expr, date::locate_zone(zone));
  } catch (const std::exception&) {  // date/tz reports an unknown name by throwing
    return Status::InvalidArgument("time zone: unknown zone '" + std::string(zone.substr(0, 64)) + "'");
  }
}

std::string_view CronSchedule::zone_name() const { return zone_->name(); }

std::optional<TimeMs> CronSchedule::NextAfter(TimeMs t) const {
  if (!can_fire_) return std::nullopt;
  Sec start = std::max(FloorDiv(t, 1000) + 1, kMinSec);  // whole seconds strictly after t
  if (start > kMaxSec) return std::nullopt;
  Sec limit = std::min(start + kHorizon, kMaxSec + 1);
  std::optional<Sec> r = fixed_second_of_day_ >= 0 ? NextFixed(start, limit) : NextFloating(start, limit);
  if (!r) return std::nullopt;
  return *r * 1000;
}

// Walks the zone's constant-offset periods. Within one, local time is UTC plus a
// fixed offset, so the first matching local time maps straight to an instant; a
// match past the period's end belongs to the next period and is searched again
// there with that period's offset. Local times in a gap thus never match, and
// repeated local times match once per period, i.e. at both real instants.
std::optional<CronSchedule::Sec> CronSchedule::NextFloating(Sec start, Sec limit) const {
  for (Sec s = start; s < limit;) {
    date::sys_info info = zone_->get_info(date::sys_seconds{std::chrono::seconds{s}});
    Sec offset = info.offset.count();
    Sec end = std::min<Sec>(info.end.time_since_epoch().count(), limit);
    if (std::optional<Sec> local = NextLocal(s + offset, end + offset)) return *local - offset;
    s = end;
  }
  return std::nullopt;
}

// One candidate per matching local date. Dates are tried in order from the day
// before start's local date (an offset never exceeds a day), so the first instant
// at or after start is the answer.
std::optional<CronSchedule::Sec> CronSchedule::NextFixed(Sec start, Sec limit) const {
  Sec offset = zone_->get_info(date::sys_seconds{std::chrono::seconds{start}}).offset.count();
  int64_t day = FloorDiv(start + offset, kDay) - 1;
  int64_t last_day = FloorDiv(limit, kDay) + 1;
  while (std::optional<int64_t> d = NextDay(day, last_day)) {
    Sec fire = ResolveLocal(*d * kDay + fixed_second_of_day_);
    if (fire >= start) return fire < limit ? std::optional<Sec>(fire) : std::nullopt;
    day = *d + 1;
  }
  return std::nullopt;
}

// The instant of a local wall time: its only or first occurrence, or the end of
// the gap it falls in.
CronSchedule::Sec CronSchedule::ResolveLocal(Sec local) const {
  date::local_info li = zone_->get_info(date::local_seconds{std::chrono::seconds{local}});
  if (li.result == date::local_info::nonexistent) return li.second.begin.time_since_epoch().count();
  return local - li.first.offset.count();
}

// The first local wall time in [local, local_limit) matching every field.
std::optional<CronSchedule::Sec> CronSchedule::NextLocal(Sec local, Sec local_limit) const {
  if (local >= local_limit) return std::nullopt;
  int64_t day = FloorDiv(local, kDay);
  int second_of_day = int(local - day * kDay);
  int64_t last_day = FloorDiv(local_limit - 1, kDay);
  while (std::optional<int64_t> d = NextDay(day, last_day)) {
    if (*d != day) second_of_day = 0;
    if (std::optional<int> tod = NextTimeOfDay(second_of_day)) {
      Sec r = *d * kDay + *tod;
      return r < local_limit ? std::optional<Sec>(r) : std::nullopt;
    }
    day = *d + 1;
    second_of_day = 0;
  }
  return std::nullopt;
}

// The first day number in [day, last_day] whose month and day fields match.
std::optional<int64_t> CronSchedule::NextDay(int64_t day, int64_t last_day) const {
  while (day <= last_day) {
    date::sys_days sd{date::days{int(day)}};
    date::year_month_day ymd{sd};
    int y = int(ymd.year());
    unsigned m = unsigned(ymd.month()), d = unsigned(ymd.day());
    if (expr_.months >> m & 1) {
      int dim = int(unsigned((ymd.year() / ymd.month() / date::last).day()));
      int wd1 = int(date::weekday{sd - date::days{d - 1}}.c_encoding());
      uint32_t mask = days_.Mask(dim, wd1) & (~uint32_t{0} << d);
      if (mask) {
        int64_t hit = day + std::countr_zero(mask) - int(d);
        return hit <= last_day ? std::optional<int64_t>(hit) : std::nullopt;
      }
    }
    int next_month = NextBit(expr_.months, int(m) + 1);
    day = next_month > 0 ? DayNumber(y, unsigned(next_month), 1)
                         : DayNumber(y + 1, unsigned(std::countr_zero(expr_.months)), 1);
  }
  return std::nullopt;
}

// The first time of day (seconds after midnight) at or after second_of_day that
// the second, minute and hour fields allow.
std::optional<int> CronSchedule::NextTimeOfDay(int second_of_day) const {
  int h0 = second_of_day / 3600, m0 = second_of_day / 60 % 60, s0 = second_of_day % 60;
  for (int h = NextBit(expr_.hours, h0); h >= 0; h = NextBit(expr_.hours, h + 1)) {
    int m_from = h == h0 ? m0 : 0;
    for (int m = NextBit(expr_.minutes, m_from); m >= 0; m = NextBit(expr_.minutes, m + 1)) {
      int s = NextBit(expr_.seconds, h == h0 && m == m0 ? s0 : 0);
      if (s >= 0) return h * 3600 + m * 60 + s;
    }
  }
  return std::nullopt;
}

}  // namespace cronq
