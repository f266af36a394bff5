// A queue's configuration: push delivery (cronq POSTs each job to a URL) and the
// retry options its jobs get when they do not set their own. Plain values; the
// rules that need URLs and headers are checked in push/push_config.h.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/job.h"

namespace cronq {

// At most `max` deliveries start in any window of `per` ms. max = 0: no limit.
struct RateLimit {
  int max = 0;
  Millis per = 0;
  bool operator==(const RateLimit&) const = default;
};

// A push queue's target (docs/push-protocol.md).
struct PushConfig {
  std::string url;                   // http:// or https://, query kept
  std::vector<std::string> secrets;  // signing secrets: current, then the next one (rotation)
  Millis timeout = 60'000;           // per attempt: connect, send, answer
  int concurrency = 10;              // deliveries in flight for this queue (per cronq process)
  RateLimit rate;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  bool operator==(const PushConfig&) const = default;
};

// Retry options applied at enqueue to a job that does not set them.
struct JobDefaults {
  std::optional<int> attempts;
  std::optional<Backoff> backoff;
  bool empty() const { return !attempts && !backoff; }
};

struct QueueConfig {
  std::optional<PushConfig> push;  // nullopt: a pull queue
  JobDefaults defaults;
};

// Fills the options `job` left unset (NewJob::attempts_set / backoff_set) from `d`.
void ApplyJobDefaults(const JobDefaults& d, NewJob& job);

}  // namespace cronq
