// Lease maths: when a lease ends and which deadline ended it.
#pragma once

#include "core/job.h"

namespace cronq {

struct LeaseWindow {
  TimeMs expires = 0;     // the earlier of lock expiry and the attempt's timeout
  bool by_timeout = false;  // true when `expires` is the attempt's hard timeout
};

// A lease taken or extended at `now` for `lock_ms`, for an attempt that started at
// `attempt_started` and has a hard `timeout` (0: none). Extending never moves a
// timeout: the hard limit is per attempt.
LeaseWindow ComputeLease(TimeMs now, Millis lock_ms, TimeMs attempt_started, Millis timeout);

}  // namespace cronq
