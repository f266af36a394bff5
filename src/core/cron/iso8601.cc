#include "core/cron/iso8601.h"

#include <cstdio>
#include <date/date.h>

namespace cronq {
namespace {

// A tiny cursor over the text; each Take* returns false on a mismatch.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool Done() const { return i == s.size(); }
  bool Peek(char c) const { return i < s.size() && s[i] == c; }
  bool Take(char c) { return Peek(c) ? (++i, true) : false; }
  bool TakeDigits(size_t n, int* v) {
    if (s.size() - i < n) return false;
    int x = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      x = x * 10 + (c - '0');
    }
    i += n;
    *v = x;
    return true;
  }
};

Status Bad(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("time '" + std::string(text.substr(0, 40)) + "': " + std::string(why));
}

// Parses "Z", "+HH:MM", "+HHMM", "+HH" (or '-') or nothing into seconds east of UTC.
bool TakeOffset(Cursor& c, int* offset) {
  *offset = 0;
  if (c.Done() || c.Take('Z') || c.Take('z')) return true;
  int sign = c.Take('+') ? 1 : c.Take('-') ? -1 : 0;
  int hh = 0, mm = 0;
  if (sign == 0 || !c.TakeDigits(2, &hh)) return false;
  if (!c.Done()) {
    c.Take(':');
    if (!c.TakeDigits(2, &mm)) return false;
  }
  if (hh > 23 || mm > 59) return false;
  *offset = sign * (hh * 3600 + mm * 60);
  return true;
}

}  // namespace

Result<TimeMs> ParseIso8601(std::string_view text) {
  Cursor c{text};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0, offset = 0;
  if (!c.TakeDigits(4, &y) || !c.Take('-') || !c.TakeDigits(2, &mo) || !c.Take('-') || !c.TakeDigits(2, &d)) {
    return Bad(text, "expected YYYY-MM-DD");
  }
  if (!(c.Take('T') || c.Take('t') || c.Take(' ')) || !c.TakeDigits(2, &h) || !c.Take(':') || !c.TakeDigits(2, &mi)) {
    return Bad(text, "expected THH:MM after the date");
  }
  if (c.Take(':') && !c.TakeDigits(2, &s)) return Bad(text, "expected seconds after HH:MM:");
  if (c.Take('.') || c.Take(',')) {
    int digits = 0;
    for (; c.i < text.size() && text[c.i] >= '0' && text[c.i] <= '9'; ++c.i, ++digits) {
      if (digits < 3) ms = ms * 10 + (text[c.i] - '0');
    }
    for (int k = digits; k < 3; ++k) ms *= 10;
    if (digits == 0) return Bad(text, "expected digits after the decimal point");
  }
  if (!TakeOffset(c, &offset) || !c.Done()) return Bad(text, "expected Z, +HH:MM, -HH:MM or nothing at the end");
  date::year_month_day ymd{date::year{y}, date::month{unsigned(mo)}, date::day{unsigned(d)}};
  if (y < 1 || !ymd.ok()) return Bad(text, "no such date");
  if (h > 23 || mi > 59 || s > 59) return Bad(text, "no such time of day");
  int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - offset;
  return TimeMs{secs * 1000 + ms};
}

std::string FormatIso8601(TimeMs t) {
  int64_t secs = t / 1000 - (t % 1000 < 0);
  int64_t days = secs / 86400 - (secs % 86400 < 0);
  int64_t sod = secs - days * 86400;
  date::year_month_day ymd{date::sys_days{date::days{int(days)}}};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), int(sod / 3600), int(sod / 60 % 60), int(sod % 60));
  return buf;
}

}  // namespace cronq
