#include "core/clock.h"

#include <chrono>

namespace cronq {

TimeMs SystemClock::Now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemClock::MicrosUntil(TimeMs t) const {
  using namespace std::chrono;
  return t * 1000 - duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace cronq
