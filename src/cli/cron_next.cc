#include "cli/cron_next.h"

#include "core/cron/cron_schedule.h"
#include "core/cron/iso8601.h"

namespace cronq {

int CronNextMain(const std::string& expr, const std::string& tz, const std::string& from_iso8601, int count,
                 std::ostream& out, std::ostream& err) {
  constexpr int kUsage = 2;
  if (count < 1 || count > kCronNextMaxCount) {
    err << "cron next: --count must be 1-" << kCronNextMaxCount << ", got " << count << "\n";
    return kUsage;
  }
  Result<CronSchedule> schedule = CronSchedule::Create(expr, tz.empty() ? "UTC" : tz);
  if (!schedule.ok()) {
    err << "cron next: " << schedule.status().message() << "\n";
    return kUsage;
  }
  Result<TimeMs> from = ParseIso8601(from_iso8601);
  if (!from.ok()) {
    err << "cron next: --from: " << from.status().message() << "\n";
    return kUsage;
  }
  TimeMs t = *from;
  for (int i = 0; i < count; ++i) {
    std::optional<TimeMs> next = schedule->NextAfter(t);
    if (!next) {
      err << "cron next: no more fire times after " << FormatIso8601(t) << " (searched 401 years)\n";
      break;
    }
    out << FormatIso8601(*next) << "\n";
    t = *next;
  }
  return 0;
}

}  // namespace cronq
