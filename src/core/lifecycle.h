// The job lifecycle: one state machine, drawn in docs/job-lifecycle.md.
//
//              enqueue (delay>0)             promote (due or operator)
//   (new) ──────────────────────▶ delayed ─────────────────────────────┐
//     │                              ▲                                 ▼
//     │ enqueue                      │ fail/timeout, retry later    waiting ◀── stall (lease expired,
//     └────────────────────────────▶ │ (backoff > 0)                   │        stalls ≤ max)
//                                    │                                 │ lease (fetch)
//                                  active ◀────────────────────────────┘
//                                    │  └─ extend (heartbeat) keeps it active
//        complete ┌──────────────────┼──────────────┐ fail: unrecoverable, out of
//                 ▼                  │ retry now      ▼ attempts, or stalled too often
//             completed              └──▶ waiting   failed
//                 │                                   │
//                 └──── operator retry ──▶ waiting ◀──┘
//
//   lease-due: delayed ──▶ active, a fetch taking a job whose run_at has come
//   before the due pass has promoted it (as if promoted, then leased)
//
// Every stored transition goes through Apply(); storage backends call it before
// writing, so an illegal move is refused the same way on every backend.
#pragma once

#include <string_view>

#include "core/job.h"
#include "core/status.h"

namespace cronq {

enum class Event : int {
  kEnqueue,         // (new) -> waiting
  kEnqueueDelayed,  // (new) -> delayed
  kPromote,         // delayed -> waiting (due, or an operator's promote)
  kLease,           // waiting -> active
  kExtend,          // active -> active
  kComplete,        // active -> completed
  kRetryLater,      // active -> delayed (failure or timeout with backoff)
  kRetryNow,        // active -> waiting (failure or timeout without backoff)
  kFailFinal,       // active -> failed
  kStallRequeue,    // active -> waiting (lease expired)
  kStallFail,       // active -> failed (lease expired too often)
  kOperatorRetry,   // completed | failed -> waiting
  kRemove,          // any but active -> (gone)
  kLeaseDue,        // delayed -> active: a fetch takes a job whose run_at has come
                    // before the due pass has promoted it (the caller checks run_at)
};
inline constexpr int kEventCount = 14;

std::string_view EventName(Event e);

// A job that does not exist yet is `from == std::nullopt`.
// Returns the state after `e`, or Conflict if `e` is illegal from `from`.
// For kRemove the returned state is meaningless (the job is deleted); only legality counts.
Result<JobState> Apply(std::optional<JobState> from, Event e);

// True if `e` may happen in `from` (std::nullopt: a job not yet created).
bool IsLegal(std::optional<JobState> from, Event e);

}  // namespace cronq
