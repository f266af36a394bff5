// The planner: when the engine must wake next.
//
// The engine has one thread that owns the store and one timer. Everything that
// happens "later" is a deadline in one of five places: a delayed job's run_at
// (delays and backoffs), an active job's lease expiry (stalls and timeouts), a
// finished job's retention expiry, a schedule's next due slot, and a parked
// long-poll fetch's wait limit. The store tells the earliest of the first four
// cheaply (each has a partial index); the engine knows the fifth. The engine
// sleeps until the earliest of them, or until new work arrives, whichever is
// first: there is no polling loop.
// An idle engine with no deadlines sleeps until work arrives (kIdleWake bounds that
// only so that a clock jump is noticed).
#pragma once

#include <optional>

#include "core/clock.h"

namespace cronq {

inline constexpr Millis kIdleWake = 60'000;
// A deadline this close makes the store's upkeep wait (Store::Housekeep's `soon`):
// a WAL checkpoint takes milliseconds and would make that deadline's work late.
inline constexpr Millis kHousekeepMargin = 50;
// After the engine has served parked fetches at a delayed deadline, that instant's
// due pass (promotion) and claims ahead wait this long: the answers are sent
// meanwhile without the engine thread competing for the cores. Fetches lease due
// jobs without promotion, so no job waits for it.
inline constexpr Millis kDueSettle = 20;

struct Deadlines {
  std::optional<TimeMs> next_delayed;    // earliest run_at of a delayed job
  std::optional<TimeMs> next_lease;      // earliest lease expiry of an active job
  std::optional<TimeMs> next_retention;  // earliest expiry of a finished job
  std::optional<TimeMs> next_waiter;     // earliest long-poll wait limit
  std::optional<TimeMs> next_schedule;   // earliest due slot of an active schedule
  // Earliest due slot of an active schedule whose slots may be claimed ahead
  // (overlap allow); the engine claims it `schedule_lead` before. Not in NextWake:
  // the engine folds it in with its lead.
  std::optional<TimeMs> next_schedule_ahead;
};

// The instant at which the engine must run its due work next (never before `now`).
TimeMs NextWake(const Deadlines& d, TimeMs now);

// True if some store-side deadline (delayed, lease, retention) is due at `now`.
bool StoreWorkDue(const Deadlines& d, TimeMs now);

}  // namespace cronq
