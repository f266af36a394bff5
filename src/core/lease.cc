#include "core/lease.h"

namespace cronq {

LeaseWindow ComputeLease(TimeMs now, Millis lock_ms, TimeMs attempt_started, Millis timeout) {
  LeaseWindow w{now + lock_ms, false};
  if (timeout > 0 && attempt_started + timeout <= w.expires) {
    w.expires = attempt_started + timeout;
    w.by_timeout = true;
  }
  return w;
}

}  // namespace cronq
