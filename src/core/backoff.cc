#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace cronq {

Millis BackoffDelay(const Backoff& b, int attempts_made, double unit) {
  if (b.type == Backoff::Type::kNone || b.delay <= 0) return 0;
  const Millis cap = b.max_delay > 0 ? std::min(b.max_delay, kMaxBackoff) : kMaxBackoff;
  Millis d = b.delay;
  if (b.type == Backoff::Type::kExponential) {
    // Double attempts_made-1 times, stopping at the cap (no overflow).
    for (int i = 1; i < attempts_made && d < cap; ++i) d *= 2;
  }
  d = std::min(d, cap);
  const double jitter = std::clamp(b.jitter, 0.0, 1.0);
  if (jitter > 0) {
    unit = std::clamp(unit, 0.0, 1.0);
    d -= static_cast<Millis>(std::floor(static_cast<double>(d) * jitter * unit));
  }
  return d;
}

FailureDecision DecideAfterFailure(const JobOptions& opts, int attempts_made, bool unrecoverable,
                                   TimeMs now, double unit, std::optional<Millis> retry_delay) {
  if (unrecoverable || attempts_made >= opts.attempts) return {Event::kFailFinal, 0};
  const Millis d = retry_delay ? std::clamp<Millis>(*retry_delay, 0, kMaxBackoff)
                              : BackoffDelay(opts.backoff, attempts_made, unit);
  if (d <= 0) return {Event::kRetryNow, 0};
  return {Event::kRetryLater, now + d};
}

Event DecideAfterStall(const JobOptions& opts, int stalls) {
  return stalls > opts.max_stalls ? Event::kStallFail : Event::kStallRequeue;
}

}  // namespace cronq
