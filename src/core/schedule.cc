#include "core/schedule.h"

#include <algorithm>

namespace cronq {

std::string_view MissedPolicyName(MissedPolicy p) {
  switch (p) {
    case MissedPolicy::kSkip: return "skip";
    case MissedPolicy::kOnce: return "once";
    case MissedPolicy::kAll: return "all";
    case MissedPolicy::kWithin: return "within";
  }
  return "once";
}

std::optional<MissedPolicy> ParseMissedPolicy(std::string_view s) {
  for (MissedPolicy p : {MissedPolicy::kSkip, MissedPolicy::kOnce, MissedPolicy::kAll, MissedPolicy::kWithin})
    if (MissedPolicyName(p) == s) return p;
  return std::nullopt;
}

std::string_view OverlapPolicyName(OverlapPolicy p) {
  switch (p) {
    case OverlapPolicy::kAllow: return "allow";
    case OverlapPolicy::kForbid: return "forbid";
    case OverlapPolicy::kReplace: return "replace";
  }
  return "allow";
}

std::optional<OverlapPolicy> ParseOverlapPolicy(std::string_view s) {
  for (OverlapPolicy p : {OverlapPolicy::kAllow, OverlapPolicy::kForbid, OverlapPolicy::kReplace})
    if (OverlapPolicyName(p) == s) return p;
  return std::nullopt;
}

Status ValidatePolicy(const SchedulePolicy& p) {
  if (p.max_runs < 1 || p.max_runs > 1000) return Status::InvalidArgument("missedMax must be between 1 and 1000");
  if (p.within < 0) return Status::InvalidArgument("missedWithinMs must be >= 0");
  if (p.missed == MissedPolicy::kWithin && p.within <= 0)
    return Status::InvalidArgument("missed policy 'within' needs missedWithinMs > 0");
  if (p.grace < 0 || p.grace > 3'600'000) return Status::InvalidArgument("graceMs must be between 0 and 3600000");
  if (p.end_at && p.start_at && p.end_at < p.start_at) return Status::InvalidArgument("endAt is before startAt");
  return Status::Ok();
}

std::optional<TimeMs> FirstDue(const NextAfterFn& next_after, TimeMs now, const SchedulePolicy& p) {
  TimeMs from = now;
  if (p.start_at && p.start_at - 1 > from) from = p.start_at - 1;  // a slot exactly at start_at counts
  std::optional<TimeMs> d = next_after(from);
  if (d && p.end_at && *d > p.end_at) return std::nullopt;
  return d;
}

Plan PlanSlots(const NextAfterFn& next_after, TimeMs first_due, TimeMs now, const SchedulePolicy& p,
               size_t max_slots) {
  Plan plan;
  std::optional<TimeMs> d = first_due;
  while (d && *d <= now && plan.slots.size() < max_slots) {
    if (p.end_at && *d > p.end_at) {
      d.reset();
      break;
    }
    plan.slots.push_back({*d, SlotAction::kFire});
    d = next_after(*d);
  }
  if (d && p.end_at && *d > p.end_at) d.reset();
  plan.next_due = d;
  const bool more = d && *d <= now;  // the cap stopped us: later calls plan the rest

  // Late slots (missed while down or behind) follow the policy; on-time ones fire.
  std::vector<size_t> late;
  for (size_t i = 0; i < plan.slots.size(); ++i)
    if (now - plan.slots[i].due > p.grace) late.push_back(i);
  auto miss = [&](size_t i) { plan.slots[i].action = SlotAction::kMissed; };
  if (more) {  // more slots are due than one plan holds: the policy's choice may lie later
    // kAll ranks its slots from the end: count the late slots after this plan, but
    // only up to max_runs (beyond that every slot here is missed): O(max_runs).
    size_t later_late = 0;
    const auto runs = static_cast<size_t>(p.max_runs);
    if (p.missed == MissedPolicy::kAll) {
      for (std::optional<TimeMs> t = d; t && *t <= now && later_late < runs; t = next_after(*t))
        if (now - *t > p.grace) ++later_late;
    }
    for (size_t k = 0; k < late.size(); ++k) {
      const size_t i = late[k];
      bool fire = false;
      if (p.missed == MissedPolicy::kWithin) fire = now - plan.slots[i].due <= p.within;
      if (p.missed == MissedPolicy::kAll) fire = late.size() - k + later_late <= runs;
      if (!fire) miss(i);
    }
    return plan;
  }
  switch (p.missed) {
    case MissedPolicy::kSkip:
      for (size_t i : late) miss(i);
      break;
    case MissedPolicy::kOnce:
      for (size_t k = 0; k + 1 < late.size(); ++k) miss(late[k]);
      break;
    case MissedPolicy::kAll: {
      const size_t keep = static_cast<size_t>(p.max_runs);
      for (size_t k = 0; k + keep < late.size(); ++k) miss(late[k]);
      break;
    }
    case MissedPolicy::kWithin:
      for (size_t i : late)
        if (now - plan.slots[i].due > p.within) miss(i);
      break;
  }
  return plan;
}

Plan PlanAhead(const NextAfterFn& next_after, TimeMs first_due, TimeMs until, const SchedulePolicy& p,
               size_t max_slots) {
  Plan plan;
  std::optional<TimeMs> d = first_due;
  while (d && *d <= until && plan.slots.size() < max_slots && !(p.end_at && *d > p.end_at)) {
    plan.slots.push_back({*d, SlotAction::kFire});
    d = next_after(*d);
  }
  if (d && p.end_at && *d > p.end_at) d.reset();
  plan.next_due = d;
  return plan;
}

}  // namespace cronq
