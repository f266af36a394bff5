// ParseCron: text -> CronExpr. See cron_expr.h for the contract.
#include <algorithm>
#include <bit>
#include <cctype>
#include <string>
#include <vector>

#include "core/cron/cron_expr.h"

namespace cronq {
namespace {

constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// How one field is spelled: its name in messages, the values it accepts, the upper
// end of "*" (day-of-week accepts 7 but "*" means 0-6), and its names if any.
struct FieldSpec {
  const char* name;
  int min;
  int max;
  int wild_max;
  const std::string_view* names;
  int name_count;
  int first_name_value;  // the value of names[0]
};

constexpr FieldSpec kSecond{"second", 0, 59, 59, nullptr, 0, 0};
constexpr FieldSpec kMinute{"minute", 0, 59, 59, nullptr, 0, 0};
constexpr FieldSpec kHour{"hour", 0, 23, 23, nullptr, 0, 0};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, 31, nullptr, 0, 0};
constexpr FieldSpec kMonth{"month", 1, 12, 12, kMonthNames, 12, 1};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, 6, kDayNames, 7, 0};

// Tokens are echoed in messages; keep garbage input from making huge messages.
std::string Clip(std::string_view tok) {
  constexpr size_t kMax = 24;
  return tok.size() > kMax ? std::string(tok.substr(0, kMax)) + "..." : std::string(tok);
}
std::string Quote(std::string_view tok) { return "'" + Clip(tok) + "'"; }

std::string Range(int lo, int hi) { return std::to_string(lo) + "-" + std::to_string(hi); }

// Parses the fields of one expression into a CronExpr. Input is already upper case.
class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, CronExpr& out) : f_(spec), out_(out) {}

  // Sets *bits to the field's plain values; day specials go straight into out_.
  Status Parse(std::string_view text, uint64_t* bits) {
    if (text == "*" || text == "?") {
      *bits = SetRange(f_.min, f_.wild_max, 1);
      return Status::Ok();
    }
    *bits = 0;
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      std::string_view item = text.substr(start, comma == std::string_view::npos ? text.size() - start : comma - start);
      if (item.empty()) return Error("empty list item in " + Quote(text));
      CRONQ_RETURN_IF_ERROR(ParseItem(item, bits));
      if (comma == std::string_view::npos) return Status::Ok();
      start = comma + 1;
    }
  }

 private:
  Status Error(std::string msg) const { return Status::InvalidArgument(std::string(f_.name) + ": " + msg); }

  static uint64_t SetRange(int lo, int hi, int step) {
    uint64_t bits = 0;
    for (int v = lo; v <= hi; v += step) bits |= uint64_t{1} << v;
    return bits;
  }

  // One list item: a special (L, LW, nW, nL, n#k) or base[/step].
  Status ParseItem(std::string_view item, uint64_t* bits) {
    if (&f_ == &kDayOfMonth) {
      if (item == "L") return out_.last_day = true, Status::Ok();
      if (item == "LW") return out_.last_weekday = true, Status::Ok();
      if (item.size() > 1 && item.back() == 'W') return ParseNearestWeekday(item);
    }
    if (&f_ == &kDayOfWeek) {
      if (item == "L") return Error("'L' needs a weekday before it, e.g. 5L");
      if (item.size() > 1 && item.back() == 'L') return ParseLastOfWeekday(item);
      if (item.find('#') != std::string_view::npos) return ParseNthWeekday(item);
    }
    return ParseStepped(item, bits);
  }

  Status ParseStepped(std::string_view item, uint64_t* bits) {
    size_t slash = item.find('/');
    std::string_view base = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      std::string_view st = item.substr(slash + 1);
      int span = f_.wild_max - f_.min + 1;
      if (!ParseNumber(st, &step)) return Error("invalid step " + Quote(st));
      if (step < 1 || step > span) return Error("step " + Clip(st) + " out of range 1-" + std::to_string(span));
    }
    int lo = 0, hi = 0;
    if (base == "*" || base == "?") {
      lo = f_.min, hi = f_.wild_max;
    } else if (size_t dash = base.find('-'); dash != std::string_view::npos) {
      CRONQ_RETURN_IF_ERROR(ParseValue(base.substr(0, dash), &lo));
      CRONQ_RETURN_IF_ERROR(ParseValue(base.substr(dash + 1), &hi));
      if (&f_ == &kDayOfWeek && base.substr(dash + 1) == "SUN") hi = 7;  // MON-SUN, SAT-SUN
      if (lo > hi) return Error("range " + std::string(base) + " has its start after its end");
    } else {
      CRONQ_RETURN_IF_ERROR(ParseValue(base, &lo));
      hi = slash == std::string_view::npos ? lo : f_.wild_max;  // "a/n" means "a-max/n"
      if (lo > hi) return Error(Quote(item) + " starts after " + std::to_string(hi));
    }
    *bits |= SetRange(lo, hi, step);
    return Status::Ok();
  }

  // Decimal digits only; values past 1,000,000 saturate (no field gets near that).
  static bool ParseNumber(std::string_view tok, int* v) {
    if (tok.empty()) return false;
    int n = 0;
    for (char c : tok) {
      if (c < '0' || c > '9') return false;
      n = std::min(n * 10 + (c - '0'), 1'000'000);
    }
    *v = n;
    return true;
  }

  // A number or (for month and day-of-week) a three-letter name, within range.
  Status ParseValue(std::string_view tok, int* v) {
    if (tok.empty()) return Error("missing value");
    if (!ParseNumber(tok, v)) {
      for (int i = 0; i < f_.name_count; ++i) {
        if (tok == f_.names[i]) return *v = f_.first_name_value + i, Status::Ok();
      }
      return Error(f_.names ? "unknown name or value " + Quote(tok) : "invalid value " + Quote(tok));
    }
    if (*v < f_.min || *v > f_.max) return Error("value " + Clip(tok) + " out of range " + Range(f_.min, f_.max));
    return Status::Ok();
  }

  Status ParseNearestWeekday(std::string_view item) {
    int n = 0;
    CRONQ_RETURN_IF_ERROR(ParseValue(item.substr(0, item.size() - 1), &n));
    out_.nearest_weekday |= uint32_t{1} << n;
    return Status::Ok();
  }

  Status ParseLastOfWeekday(std::string_view item) {
    int n = 0;
    CRONQ_RETURN_IF_ERROR(ParseValue(item.substr(0, item.size() - 1), &n));
    out_.last_of_weekday |= uint8_t(1u << (n % 7));
    return Status::Ok();
  }

  Status ParseNthWeekday(std::string_view item) {
    size_t hash = item.find('#');
    int n = 0, k = 0;
    CRONQ_RETURN_IF_ERROR(ParseValue(item.substr(0, hash), &n));
    std::string_view ks = item.substr(hash + 1);
    if (!ParseNumber(ks, &k)) return Error("invalid occurrence " + Quote(ks) + " in " + Quote(item));
    if (k < 1 || k > 5) return Error("occurrence " + Clip(ks) + " in " + Quote(item) + " out of range 1-5");
    out_.nth_weekday[k] |= uint8_t(1u << (n % 7));
    return Status::Ok();
  }

  const FieldSpec& f_;
  CronExpr& out_;
};

std::vector<std::string_view> SplitBlanks(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<std::string_view> ExpandMacro(std::string_view m) {
  if (m == "@YEARLY" || m == "@ANNUALLY") return std::string_view("0 0 0 1 1 *");
  if (m == "@MONTHLY") return std::string_view("0 0 0 1 * *");
  if (m == "@WEEKLY") return std::string_view("0 0 0 * * 0");
  if (m == "@DAILY" || m == "@MIDNIGHT") return std::string_view("0 0 0 * * *");
  if (m == "@HOURLY") return std::string_view("0 0 * * * *");
  return Status::InvalidArgument("unknown macro " + Quote(m));
}

Status ParseFields(const std::vector<std::string_view>& fields, CronExpr* e) {
  const bool six = fields.size() == 6;
  size_t i = 0;
  uint64_t bits = 0;
  if (six) {
    CRONQ_RETURN_IF_ERROR(FieldParser(kSecond, *e).Parse(fields[i++], &bits));
    e->seconds = bits;
  } else {
    e->seconds = 1;  // second 0
  }
  CRONQ_RETURN_IF_ERROR(FieldParser(kMinute, *e).Parse(fields[i++], &e->minutes));
  CRONQ_RETURN_IF_ERROR(FieldParser(kHour, *e).Parse(fields[i++], &bits));
  e->hours = uint32_t(bits);
  e->any_day_of_month = fields[i] == "*" || fields[i] == "?";
  CRONQ_RETURN_IF_ERROR(FieldParser(kDayOfMonth, *e).Parse(fields[i++], &bits));
  e->days = uint32_t(bits);
  CRONQ_RETURN_IF_ERROR(FieldParser(kMonth, *e).Parse(fields[i++], &bits));
  e->months = uint16_t(bits);
  e->any_day_of_week = fields[i] == "*" || fields[i] == "?";
  CRONQ_RETURN_IF_ERROR(FieldParser(kDayOfWeek, *e).Parse(fields[i++], &bits));
  e->weekdays = uint8_t((bits & 0x7f) | (bits >> 7));  // 7 is Sunday
  return Status::Ok();
}

}  // namespace

bool CronExpr::FixedTimeOfDay() const {
  return std::popcount(seconds) == 1 && std::popcount(minutes) == 1 && std::popcount(hours) == 1;
}

Result<CronExpr> ParseCron(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string_view> fields = SplitBlanks(upper);
  if (fields.empty()) return Status::InvalidArgument("empty expression");
  if (fields.size() == 1 && fields[0].front() == '@') {
    CRONQ_ASSIGN_OR_RETURN(std::string_view expanded, ExpandMacro(fields[0]));
    return ParseCron(expanded);
  }
  if (fields.size() != 5 && fields.size() != 6) {
    return Status::InvalidArgument("expected 5 or 6 fields, got " + std::to_string(fields.size()));
  }
  CronExpr e;
  CRONQ_RETURN_IF_ERROR(ParseFields(fields, &e));
  return e;
}

}  // namespace cronq
