// Property tests: NextAfter chains against an independent brute-force matcher.
//
// The reference below walks every second of a window, converts it to local time
// with date/tz and checks the fields directly, with the day rules (L, W, #, the
// Vixie rule) written naively from their definitions and the DST rule applied by
// looking at the local clock itself (a repeat, a jump). It shares only the parsed
// CronExpr with the engine; the parser is covered by the golden vectors.
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <date/tz.h>
#include <gtest/gtest.h>

#include "core/cron/cron_schedule.h"
#include "core/cron/iso8601.h"
#include "core/cron/cron_test_gen.h"

namespace cronq {
namespace {

using Sec = int64_t;

int WeekdayOf(const date::year_month_day& ymd) { return int(date::weekday{date::sys_days{ymd}}.c_encoding()); }

bool IsWeekday(const date::year_month_day& ymd) { return WeekdayOf(ymd) != 0 && WeekdayOf(ymd) != 6; }

date::year_month_day Day(const date::year_month_day& ymd, int d) {
  return date::year_month_day{ymd.year(), ymd.month(), date::day{unsigned(d)}};
}

// The weekday closest to day n of ymd's month, searching outwards, earlier first.
int NearestWeekdayNaive(const date::year_month_day& ymd, int n, int dim) {
  for (int dist = 0; dist <= 3; ++dist) {
    for (int cand : {n - dist, n + dist}) {
      if (cand >= 1 && cand <= dim && IsWeekday(Day(ymd, cand))) return cand;
    }
  }
  return -1;
}

bool DayMatchesNaive(const CronExpr& e, const date::year_month_day& ymd) {
  int d = int(unsigned(ymd.day()));
  int dim = int(unsigned((ymd.year() / ymd.month() / date::last).day()));
  int wd = WeekdayOf(ymd);
  bool dom = (e.days >> d & 1) || (e.last_day && d == dim);
  if (e.last_weekday) {
    int last = dim;
    while (!IsWeekday(Day(ymd, last))) --last;
    dom = dom || d == last;
  }
  for (int n = 1; n <= dim; ++n) {
    if (e.nearest_weekday >> n & 1) dom = dom || NearestWeekdayNaive(ymd, n, dim) == d;
  }
  int nth = 0;  // how many days 1..d fall on this weekday
  for (int x = 1; x <= d; ++x) nth += WeekdayOf(Day(ymd, x)) == wd;
  bool later_same = false;
  for (int x = d + 1; x <= dim; ++x) later_same = later_same || WeekdayOf(Day(ymd, x)) == wd;
  bool dow = (e.weekdays >> wd & 1) || (e.nth_weekday[nth] >> wd & 1) || (!later_same && (e.last_of_weekday >> wd & 1));
  if (e.any_day_of_month && e.any_day_of_week) return true;
  if (e.any_day_of_month) return dow;
  if (e.any_day_of_week) return dom;
  return dom || dow;
}

// Does a local wall time (seconds since the local epoch) match every field?
class NaiveMatcher {
 public:
  explicit NaiveMatcher(const CronExpr& e) : e_(e) {}
  bool Matches(Sec local) {
    Sec day = local / 86400 - (local % 86400 < 0);
    int sod = int(local - day * 86400);
    if (day != cached_day_) {
      date::year_month_day ymd{date::sys_days{date::days{int(day)}}};
      cached_match_ = (e_.months >> unsigned(ymd.month()) & 1) && DayMatchesNaive(e_, ymd);
      cached_day_ = day;
    }
    return cached_match_ && (e_.hours >> (sod / 3600) & 1) && (e_.minutes >> (sod / 60 % 60) & 1) &&
           (e_.seconds >> (sod % 60) & 1);
  }

 private:
  const CronExpr& e_;
  Sec cached_day_ = INT64_MIN;
  bool cached_match_ = false;
};

// Local wall time of every second in [begin - kLookBack, end).
struct Window {
  static constexpr Sec kLookBack = 3 * 3600;  // > any DST shift
  Sec begin, end;
  std::vector<Sec> local;
  Sec Local(Sec s) const { return local[size_t(s - begin + kLookBack)]; }
};

Window MakeWindow(const date::time_zone* z, Sec begin, Sec end) {
  Window w{begin, end, {}};
  for (Sec s = begin - Window::kLookBack; s < end; ++s) {
    date::sys_info info = z->get_info(date::sys_seconds{std::chrono::seconds{s}});
    w.local.push_back(s + info.offset.count());
  }
  return w;
}

// The DESIGN.md section 3 rule, applied second by second.
std::vector<Sec> BruteForce(const CronExpr& e, const Window& w) {
  NaiveMatcher m(e);
  const bool fixed = e.FixedTimeOfDay();
  std::vector<Sec> out;
  for (Sec s = w.begin; s < w.end; ++s) {
    Sec l = w.Local(s);
    bool fire = m.Matches(l);
    if (fire && fixed) {  // only the first occurrence of a repeated local time
      for (Sec p = s - 1; p >= s - Window::kLookBack + 1 && fire; --p) fire = w.Local(p) != l;
    }
    if (!fire && fixed && w.Local(s - 1) + 1 < l) {  // the clock jumped: did it skip a match?
      for (Sec x = w.Local(s - 1) + 1; x < l && !fire; ++x) fire = m.Matches(x);
    }
    if (fire) out.push_back(s);
  }
  return out;
}

std::vector<Sec> Chain(const CronSchedule& s, Sec begin, Sec end) {
  std::vector<Sec> out;
  TimeMs t = (begin - 1) * 1000 + 999;  // strictly after t: the first candidate is `begin`
  while (std::optional<TimeMs> next = s.NextAfter(t)) {
    EXPECT_GT(*next, t);
    EXPECT_EQ(*next % 1000, 0);
    if (*next >= end * 1000) break;
    out.push_back(*next / 1000);
    t = *next;
  }
  return out;
}

std::string Show(const std::vector<Sec>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 12; ++i) s += FormatIso8601(v[i] * 1000) + " ";
  return v.size() > 12 ? s + "... (" + std::to_string(v.size()) + ")" : s;
}

struct WindowSpec {
  const char* zone;
  const char* center;  // a transition (or an interesting instant), UTC
};

// Windows of +-30 hours around DST transitions and odd days.
constexpr WindowSpec kWindows[] = {
    {"America/New_York", "2026-03-08T07:00:00Z"},    {"America/New_York", "2026-11-01T06:00:00Z"},
    {"Europe/London", "2026-03-29T01:00:00Z"},       {"Europe/London", "2026-10-25T01:00:00Z"},
    {"Australia/Lord_Howe", "2026-04-04T15:00:00Z"}, {"Australia/Lord_Howe", "2026-10-03T15:30:00Z"},
    {"America/Sao_Paulo", "2018-11-04T03:00:00Z"},   {"Pacific/Apia", "2011-12-30T10:00:00Z"},
    {"UTC", "2028-02-29T00:00:00Z"},                 {"Asia/Kolkata", "2026-12-31T18:30:00Z"},
};

TEST(CronProperty, ChainsMatchBruteForceAroundTransitions) {
  std::mt19937 rng(20260308);
  int checked = 0, fired = 0;
  for (const WindowSpec& spec : kWindows) {
    const date::time_zone* z = date::locate_zone(spec.zone);
    Sec center = *ParseIso8601(spec.center) / 1000;
    Window w = MakeWindow(z, center - 30 * 3600, center + 30 * 3600);
    date::year_month_day ymd{date::floor<date::days>(date::sys_seconds{std::chrono::seconds{center}})};
    for (int i = 0; i < 60; ++i) {
      std::string text = RandomCronText(rng, int(unsigned(ymd.month())), int(unsigned(ymd.day())));
      SCOPED_TRACE(std::string(spec.zone) + " " + spec.center + " expr: " + text);
      Result<CronSchedule> s = CronSchedule::Create(text, spec.zone);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      std::vector<Sec> want = BruteForce(s->expr(), w);
      std::vector<Sec> got = Chain(*s, w.begin, w.end);
      ASSERT_EQ(Show(got), Show(want));
      ASSERT_EQ(got, want);
      ++checked;
      fired += !want.empty();
    }
  }
  EXPECT_GT(fired, checked / 2) << "the generator should mostly make expressions that fire";
}

// Day rules over six years in UTC (leap years 2028 and 2032), day by day.
TEST(CronProperty, DayRulesMatchNaiveOverYears) {
  std::mt19937 rng(29022028);
  const Sec begin = *ParseIso8601("2027-01-01T00:00:00Z") / 1000, end = *ParseIso8601("2033-01-01T00:00:00Z") / 1000;
  for (int i = 0; i < 300; ++i) {
    std::string text = "0 12 " + RandomDayFields(rng, 1 + int(rng() % 12), 1 + int(rng() % 28));
    SCOPED_TRACE(text);
    Result<CronSchedule> s = CronSchedule::Create(text, "UTC");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    NaiveMatcher m(s->expr());
    std::vector<Sec> want;
    for (Sec day = begin; day < end; day += 86400) {
      if (m.Matches(day + 43200)) want.push_back(day + 43200);
    }
    ASSERT_EQ(Chain(*s, begin, end), want);
  }
}

// NextAfter from arbitrary instants (with milliseconds) equals the first
// brute-force fire strictly after them.
TEST(CronProperty, RandomStartsFindTheNextBruteForceFire) {
  std::mt19937 rng(7);
  const date::time_zone* z = date::locate_zone("America/New_York");
  Sec center = *ParseIso8601("2026-11-01T06:00:00Z") / 1000;
  Window w = MakeWindow(z, center - 20 * 3600, center + 20 * 3600);
  for (int i = 0; i < 200; ++i) {
    std::string text = RandomCronText(rng, 11, 1);
    Result<CronSchedule> s = CronSchedule::Create(text, "America/New_York");
    ASSERT_TRUE(s.ok());
    std::vector<Sec> fires = BruteForce(s->expr(), w);
    TimeMs t = (w.begin + Sec(rng() % (w.end - w.begin - 7200))) * 1000 + TimeMs(rng() % 1000);
    auto it = std::upper_bound(fires.begin(), fires.end(), t / 1000);  // first s with s*1000 > t
    if (it == fires.end()) continue;
    std::optional<TimeMs> next = s->NextAfter(t);
    ASSERT_TRUE(next.has_value()) << text;
    EXPECT_EQ(*next, *it * 1000) << text << " from " << t;
  }
}

}  // namespace
}  // namespace cronq
