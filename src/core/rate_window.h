// RateWindow: at most `max` starts in any window of `per` ms (a sliding log).
//
// A start is first reserved (before a worker long-polls for a job), then either
// confirmed at the moment a job was leased or cancelled when none came. A pending
// reservation counts against the limit and does not age, so several waiting
// threads can never together start more than `max` jobs in one window.
// Pure: time is passed in. Not thread-safe (the caller holds a lock).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "core/clock.h"
#include "core/queue_config.h"

namespace cronq {

class RateWindow {
 public:
  explicit RateWindow(RateLimit limit) : limit_(limit) {}

  // A reservation id, or nullopt with `*wait` set to how long until one may be free.
  std::optional<uint64_t> Reserve(TimeMs now, Millis* wait);
  void Confirm(uint64_t id, TimeMs now);  // a job started now under this reservation
  void Cancel(uint64_t id);               // no job came: the slot is free again

 private:
  struct Entry {
    uint64_t id;
    TimeMs at;     // start time once confirmed
    bool pending;
  };
  RateLimit limit_;
  uint64_t next_id_ = 1;
  std::deque<Entry> entries_;
};

}  // namespace cronq
