// Schedules: which slots fire, which are recorded as missed, and when the next
// slot is due. Pure: the caller passes `now` and the cron's NextAfter.
//
// A slot is one fire instant of a schedule's cron expression. Every slot gets a
// fire id (schedule, due instant) and is handled exactly once: it fires, or is
// recorded as missed (downtime) or skipped (overlap). A slot handled within
// `grace` of its due instant is on time and always fires; a later one was missed
// while cronq was down or behind, and the missed-run policy decides:
//
//   skip     record every missed slot as missed, fire none
//   once     fire the latest missed slot once, record the others (the default)
//   all      fire the latest `max_runs` missed slots in order, record the others
//   within   fire missed slots no later than `within` after their due instant
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cronq {

enum class MissedPolicy { kSkip, kOnce, kAll, kWithin };
enum class OverlapPolicy { kAllow, kForbid, kReplace };

std::string_view MissedPolicyName(MissedPolicy p);
std::optional<MissedPolicy> ParseMissedPolicy(std::string_view s);
std::string_view OverlapPolicyName(OverlapPolicy p);
std::optional<OverlapPolicy> ParseOverlapPolicy(std::string_view s);

struct SchedulePolicy {
  MissedPolicy missed = MissedPolicy::kOnce;
  int max_runs = 10;      // for kAll
  Millis within = 0;      // for kWithin
  OverlapPolicy overlap = OverlapPolicy::kAllow;
  Millis grace = 1'000;   // lateness still counted as on time
  TimeMs start_at = 0;    // no slot before this; 0: none
  TimeMs end_at = 0;      // no slot after this; 0: none
};

Status ValidatePolicy(const SchedulePolicy& p);

enum class SlotAction { kFire, kMissed };

struct SlotPlan {
  TimeMs due = 0;
  SlotAction action = SlotAction::kFire;
};

struct Plan {
  std::vector<SlotPlan> slots;    // in due order
  std::optional<TimeMs> next_due; // the first slot not handled by this plan; nullopt: never again
};

using NextAfterFn = std::function<std::optional<TimeMs>(TimeMs)>;

// The first slot of a schedule created or re-timed at `now`: strictly after now,
// not before start_at, not after end_at.
std::optional<TimeMs> FirstDue(const NextAfterFn& next_after, TimeMs now, const SchedulePolicy& p);

// Handles the slots due from `first_due` up to `now`. At most `max_slots` are
// planned per call; a later call (with the returned next_due) plans the rest, and
// every policy still picks the same slots as if all had been planned at once.
// Returns next_due > now when everything due was planned.
Plan PlanSlots(const NextAfterFn& next_after, TimeMs first_due, TimeMs now, const SchedulePolicy& p,
               size_t max_slots = 1000);

// The slots from `first_due` up to `until` (> now) that a schedule may claim ahead
// of their due instant: all of them fire (none is late), at most `max_slots`.
// next_due is the first slot after them (nullopt past end_at).
Plan PlanAhead(const NextAfterFn& next_after, TimeMs first_due, TimeMs until, const SchedulePolicy& p,
               size_t max_slots = 1000);

}  // namespace cronq
