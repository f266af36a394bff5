#include "core/planner.h"

#include <algorithm>

namespace cronq {

TimeMs NextWake(const Deadlines& d, TimeMs now) {
  TimeMs wake = now + kIdleWake;
  for (const auto& t : {d.next_delayed, d.next_lease, d.next_retention, d.next_waiter, d.next_schedule}) {
    if (t) wake = std::min(wake, *t);
  }
  return std::max(wake, now);
}

bool StoreWorkDue(const Deadlines& d, TimeMs now) {
  for (const auto& t : {d.next_delayed, d.next_lease, d.next_retention, d.next_schedule}) {
    if (t && *t <= now) return true;
  }
  return false;
}

}  // namespace cronq
