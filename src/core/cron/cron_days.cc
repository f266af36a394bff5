#include "core/cron/cron_days.h"

namespace cronq {
namespace {

// One month's shape: its length and the weekday of each day.
struct MonthShape {
  int dim;
  int wd1;
  int Weekday(int d) const { return (wd1 + d - 1) % 7; }
  bool IsWeekend(int d) const { return Weekday(d) == 0 || Weekday(d) == 6; }
};

// nW: the Monday-Friday nearest day n without leaving the month.
int NearestWeekday(const MonthShape& m, int n) {
  switch (m.Weekday(n)) {
    case 6: return n == 1 ? 3 : n - 1;         // Saturday: Friday, or Monday the 3rd
    case 0: return n == m.dim ? n - 2 : n + 1;  // Sunday: Monday, or Friday before
    default: return n;
  }
}

uint32_t DayOfMonthMask(const CronExpr& e, const MonthShape& m) {
  uint32_t mask = e.days & (((uint32_t{1} << m.dim) - 1) << 1);
  if (e.last_day) mask |= uint32_t{1} << m.dim;
  if (e.last_weekday) {
    int d = m.dim;
    while (m.IsWeekend(d)) --d;
    mask |= uint32_t{1} << d;
  }
  for (int n = 1; n <= m.dim; ++n) {
    if (e.nearest_weekday >> n & 1) mask |= uint32_t{1} << NearestWeekday(m, n);
  }
  return mask;
}

uint32_t DayOfWeekMask(const CronExpr& e, const MonthShape& m) {
  uint32_t mask = 0;
  for (int d = 1; d <= m.dim; ++d) {
    int w = m.Weekday(d);
    bool hit = (e.weekdays >> w & 1) ||                      // plain weekday
               (e.nth_weekday[(d - 1) / 7 + 1] >> w & 1) ||  // n#k
               (d + 7 > m.dim && (e.last_of_weekday >> w & 1));  // nL
    if (hit) mask |= uint32_t{1} << d;
  }
  return mask;
}

int DaysIn(int month, bool leap) {
  static constexpr int kDays[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap ? 29 : kDays[month];
}

}  // namespace

DayTable::DayTable(const CronExpr& e) {
  for (int dim = 28; dim <= 31; ++dim) {
    for (int wd1 = 0; wd1 < 7; ++wd1) {
      MonthShape m{dim, wd1};
      uint32_t all = ((uint32_t{1} << dim) - 1) << 1;
      uint32_t dom = e.any_day_of_month ? all : DayOfMonthMask(e, m);
      uint32_t dow = e.any_day_of_week ? all : DayOfWeekMask(e, m);
      // Vixie rule: both restricted -> either matches; else the restricted one decides.
      bool both = !e.any_day_of_month && !e.any_day_of_week;
      masks_[dim - 28][wd1] = both ? (dom | dow) : (dom & dow);
    }
  }
}

// Every (length, weekday of the 1st) pair a month can have occurs in the 400-year
// Gregorian cycle, so checking all of them is exact.
bool DayTable::CanMatch(uint16_t months) const {
  for (int month = 1; month <= 12; ++month) {
    if (!(months >> month & 1)) continue;
    for (bool leap : {false, true}) {
      for (int wd1 = 0; wd1 < 7; ++wd1) {
        if (Mask(DaysIn(month, leap), wd1) != 0) return true;
      }
    }
  }
  return false;
}

}  // namespace cronq
