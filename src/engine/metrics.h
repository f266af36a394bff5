// In-memory counters and histograms of what the engine did, for /metrics.
//
// The engine thread adds one committed batch at a time (Record): it walks the
// batch's started leases, ended attempts and handled slots once and takes the
// mutex once per batch, so the per-job cost is a map lookup and an add, never a
// lock or an atomic per job. Readers (the /metrics handler) copy a snapshot.
// Counters start at zero with each process, as Prometheus expects.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "storage/store.h"

namespace cronq {

// Upper bounds of the histogram buckets, in seconds (the last bucket is +Inf).
inline constexpr std::array<double, 14> kHistogramBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                            1,     2.5,  5,     10,   30,  60,  300};

struct Histogram {
  std::array<uint64_t, kHistogramBounds.size() + 1> buckets{};  // not cumulative; the last one is +Inf
  uint64_t count = 0;
  double sum = 0;  // seconds
  void Observe(Millis ms);
};

struct QueueMetrics {
  uint64_t enqueued = 0;   // new jobs (duplicates not counted; scheduled fires are)
  uint64_t completed = 0;  // attempts that completed
  uint64_t failed = 0;     // jobs that failed for good
  uint64_t retried = 0;    // failed, timed-out or stalled attempts that will run again
  uint64_t stalled = 0;    // leases that expired without a heartbeat
  uint64_t timed_out = 0;  // leases that ran past the attempt's timeout
  Histogram processing;    // attempt start to end
  Histogram wait;          // job creation to the start of an attempt (delays and backoffs included)
};

// Attempts that ended in one minute, for the dashboard's last-hour throughput.
struct MinuteCounts {
  int64_t minute = -1;  // minutes since the epoch; -1: unused
  uint64_t completed = 0, failed = 0;
};
inline constexpr int kThroughputMinutes = 60;
inline constexpr Millis kWorkerWindow = 60'000;  // a worker that fetched this recently counts as connected
using Throughput = std::array<MinuteCounts, kThroughputMinutes>;  // indexed by minute % 60

struct ScheduleMetrics {
  uint64_t fired = 0, missed = 0, skipped = 0;
  Histogram lateness;  // due time to fire, for fired slots (manual triggers excluded)
};

struct MetricsSnapshot {
  std::map<std::string, QueueMetrics> queues;
  std::map<std::string, ScheduleMetrics> schedules;
  std::map<std::string, Throughput> throughput;  // queue -> the last hour, per minute
  uint64_t batches = 0, batch_failures = 0;
};

class EngineMetrics {
 public:
  // Engine thread, after a committed batch.
  void Record(TimeMs now, const std::map<std::string, int64_t>& enqueued, const std::vector<Lease>& started,
              const std::vector<AttemptEnd>& ended, const std::vector<SlotRecord>& slots);
  void RecordBatch(bool ok);
  // Engine thread: the (queue, worker) pairs that fetched in a committed batch.
  void RecordWorkers(TimeMs now, const std::vector<std::pair<std::string, std::string>>& fetchers);
  // Per queue, the workers that fetched within `window` before `now` ("connected").
  std::map<std::string, int> Workers(TimeMs now, Millis window) const;
  MetricsSnapshot Snapshot() const;

 private:
  mutable std::mutex mu_;
  MetricsSnapshot data_;  // guarded by mu_
  std::map<std::string, std::map<std::string, TimeMs>> workers_;  // queue -> worker -> last fetch; guarded by mu_
  TimeMs workers_pruned_ = 0;                                      // guarded by mu_
};

}  // namespace cronq
