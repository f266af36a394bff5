// Clock: the only way core, storage and engine learn the time.
//
// Time is an integer count of milliseconds since the Unix epoch (UTC). The engine
// reads the clock once per batch and passes that "now" down, so every decision in
// one batch sees the same instant (Redis's commandTimeSnapshot idea). Tests use
// ManualClock and move time by hand.
#pragma once

#include <atomic>
#include <cstdint>

namespace cronq {

using Millis = int64_t;  // a duration in milliseconds
using TimeMs = int64_t;  // an instant: milliseconds since 1970-01-01T00:00:00Z

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
  // Microseconds from now until instant t (negative when t has passed), for a
  // sleep that should end at t itself rather than up to 1 ms after it. A clock
  // without finer time answers in whole milliseconds.
  virtual int64_t MicrosUntil(TimeMs t) const { return (t - Now()) * 1000; }
};

class SystemClock final : public Clock {
 public:
  TimeMs Now() const override;
  int64_t MicrosUntil(TimeMs t) const override;
};

// A clock that only moves when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs Now() const override { return now_.load(); }
  void Set(TimeMs t) { now_.store(t); }
  void Advance(Millis d) { now_.fetch_add(d); }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace cronq
