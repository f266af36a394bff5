// Retry timing and the decision taken when an attempt ends without success.
#pragma once

#include <cstdint>
#include <optional>

#include "core/job.h"
#include "core/lifecycle.h"

namespace cronq {

// The longest any backoff may be, whatever the options say: 7 days.
inline constexpr Millis kMaxBackoff = 7LL * 24 * 3600 * 1000;

// Delay before the retry that follows `attempts_made` ended attempts (>= 1).
// fixed: delay. exponential: delay * 2^(attempts_made-1). Then capped (max_delay or
// kMaxBackoff), then jitter: `unit` in [0,1) picks from [d*(1-jitter), d].
Millis BackoffDelay(const Backoff& b, int attempts_made, double unit);

// What happens to an active job whose attempt just ended badly.
struct FailureDecision {
  Event event;       // kRetryLater, kRetryNow or kFailFinal
  TimeMs run_at = 0; // for kRetryLater
};

// `attempts_made` counts the attempt that just ended. `unrecoverable` skips retries.
// `retry_delay`, when set, replaces the backoff (an app's Retry-After), capped at kMaxBackoff.
FailureDecision DecideAfterFailure(const JobOptions& opts, int attempts_made, bool unrecoverable,
                                   TimeMs now, double unit, std::optional<Millis> retry_delay = std::nullopt);

// A lease that expired: requeue, or fail once the job stalled more than max_stalls times.
// `stalls` counts the stall that just happened.
Event DecideAfterStall(const JobOptions& opts, int stalls);

}  // namespace cronq
