#include "engine/metrics.h"

#include <algorithm>

namespace cronq {

void Histogram::Observe(Millis ms) {
  const double s = static_cast<double>(std::max<Millis>(ms, 0)) / 1000.0;
  size_t i = 0;
  while (i < kHistogramBounds.size() && s > kHistogramBounds[i]) ++i;
  buckets[i]++;
  count++;
  sum += s;
}

void EngineMetrics::Record(TimeMs now, const std::map<std::string, int64_t>& enqueued,
                           const std::vector<Lease>& started, const std::vector<AttemptEnd>& ended,
                           const std::vector<SlotRecord>& slots) {
  if (enqueued.empty() && started.empty() && ended.empty() && slots.empty()) return;
  std::lock_guard lk(mu_);
  for (const auto& [q, n] : enqueued) data_.queues[q].enqueued += static_cast<uint64_t>(n);
  QueueMetrics* m = nullptr;
  const std::string* last = nullptr;
  auto of = [&](const std::string& q) -> QueueMetrics& {  // batches are mostly one queue: skip repeated lookups
    if (!last || *last != q) {
      m = &data_.queues[q];
      last = &q;
    }
    return *m;
  };
  for (const Lease& l : started) of(l.queue).wait.Observe(now - l.created_at);
  Throughput* tp = nullptr;
  const std::string* tp_queue = nullptr;
  for (const AttemptEnd& e : ended) {
    if (!tp_queue || *tp_queue != e.queue) {
      tp = &data_.throughput[e.queue];
      tp_queue = &e.queue;
    }
    const int64_t minute = e.ended_at / 60'000;
    MinuteCounts& mc = (*tp)[static_cast<size_t>(minute % kThroughputMinutes)];
    if (mc.minute != minute) mc = MinuteCounts{minute, 0, 0};
    (e.outcome == Outcome::kCompleted ? mc.completed : mc.failed)++;
    QueueMetrics& qm = of(e.queue);
    qm.processing.Observe(e.ended_at - e.started_at);
    if (e.outcome == Outcome::kCompleted) qm.completed++;
    if (e.outcome == Outcome::kStalled) qm.stalled++;
    if (e.outcome == Outcome::kTimeout) qm.timed_out++;
    if (e.outcome != Outcome::kCompleted) {
      if (e.state_after == JobState::kFailed) qm.failed++;
      else qm.retried++;
    }
  }
  for (const SlotRecord& r : slots) {
    ScheduleMetrics& sm = data_.schedules[r.schedule];
    if (r.status == SlotStatus::kFired) {
      sm.fired++;
      if (!r.job_queue.empty()) data_.queues[r.job_queue].enqueued++;
      if (r.note != "manual trigger") sm.lateness.Observe(r.handled_at - r.due_at);
    } else if (r.status == SlotStatus::kMissed) {
      sm.missed++;
    } else {
      sm.skipped++;
    }
  }
}

void EngineMetrics::RecordBatch(bool ok) {
  std::lock_guard lk(mu_);
  data_.batches++;
  if (!ok) data_.batch_failures++;
}

void EngineMetrics::RecordWorkers(TimeMs now, const std::vector<std::pair<std::string, std::string>>& fetchers) {
  std::lock_guard lk(mu_);
  for (const auto& [q, w] : fetchers) workers_[q][w] = now;
  if (now - workers_pruned_ < kWorkerWindow) return;
  workers_pruned_ = now;  // forget workers gone for a while, so the map stays small
  for (auto q = workers_.begin(); q != workers_.end();) {
    std::erase_if(q->second, [&](const auto& e) { return now - e.second > 5 * kWorkerWindow; });
    q = q->second.empty() ? workers_.erase(q) : std::next(q);
  }
}

std::map<std::string, int> EngineMetrics::Workers(TimeMs now, Millis window) const {
  std::lock_guard lk(mu_);
  std::map<std::string, int> out;
  for (const auto& [q, ws] : workers_)
    for (const auto& [w, at] : ws)
      if (now - at <= window) out[q]++;
  return out;
}

MetricsSnapshot EngineMetrics::Snapshot() const {
  std::lock_guard lk(mu_);
  return data_;
}

}  // namespace cronq
