// GET /metrics in the Prometheus text format (version 0.0.4).
//
// Counters and histograms come from the engine's in-memory metrics (engine/
// metrics.h) and this API's per-route answer counts; the gauges (jobs by queue
// and state, oldest waiting age) are read from the store at scrape time.
#include <cinttypes>
#include <cstdio>

#include "api/api_ctx.h"

namespace cronq::api {
namespace {

// A label value with \, " and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out += '\\', out += ch;
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

void Head(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string& out, std::string_view name, const std::string& labels, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out.append(name).append("{").append(labels).append("} ").append(buf).append("\n");
}

void Sample(std::string& out, std::string_view name, const std::string& labels, uint64_t v) {
  out.append(name).append("{").append(labels).append("} ").append(std::to_string(v)).append("\n");
}

void HistogramSamples(std::string& out, const std::string& name, const std::string& labels, const Histogram& h) {
  uint64_t cum = 0;
  for (size_t i = 0; i < kHistogramBounds.size(); ++i) {
    cum += h.buckets[i];
    char le[32];
    std::snprintf(le, sizeof le, "%g", kHistogramBounds[i]);
    Sample(out, name + "_bucket", labels + ",le=\"" + le + "\"", cum);
  }
  cum += h.buckets.back();
  Sample(out, name + "_bucket", labels + ",le=\"+Inf\"", cum);
  Sample(out, name + "_sum", labels, h.sum);
  Sample(out, name + "_count", labels, h.count);
}

}  // namespace

void Api::Metrics(Ctx& c) {
  const TimeMs now = c.now;
  engine_.ListQueues(c.Then<std::vector<QueueInfo>>([this, now](Ctx& c, std::vector<QueueInfo> queues) {
    const MetricsSnapshot m = engine_.metrics().Snapshot();
    std::string out;
    out.reserve(8192);
    Head(out, "cronq_jobs", "gauge", "Jobs by queue and state.");
    for (const QueueInfo& q : queues)
      for (int i = 0; i < kJobStateCount; ++i)
        Sample(out, "cronq_jobs",
               "queue=\"" + Label(q.name) + "\",state=\"" + std::string(StateName(static_cast<JobState>(i))) + "\"",
               static_cast<uint64_t>(std::max<int64_t>(q.counts[i], 0)));
    Head(out, "cronq_queue_paused", "gauge", "1 when the queue is paused.");
    for (const QueueInfo& q : queues) Sample(out, "cronq_queue_paused", "queue=\"" + Label(q.name) + "\"", uint64_t{q.paused});
    Head(out, "cronq_oldest_waiting_seconds", "gauge", "Age of the oldest waiting job; 0 when none waits.");
    for (const QueueInfo& q : queues)
      Sample(out, "cronq_oldest_waiting_seconds", "queue=\"" + Label(q.name) + "\"",
             q.oldest_waiting ? static_cast<double>(now - q.oldest_waiting) / 1000.0 : 0.0);

    struct Counter {
      const char* name;
      const char* help;
      uint64_t QueueMetrics::*field;
    };
    const Counter counters[] = {
        {"cronq_jobs_enqueued_total", "Jobs added (duplicates not counted; scheduled fires counted).",
         &QueueMetrics::enqueued},
        {"cronq_jobs_completed_total", "Attempts that completed.", &QueueMetrics::completed},
        {"cronq_jobs_failed_total", "Jobs that failed for good (after their last attempt, or unrecoverable).",
         &QueueMetrics::failed},
        {"cronq_jobs_retried_total", "Failed, timed-out or stalled attempts that will be retried.",
         &QueueMetrics::retried},
    };
    for (const Counter& k : counters) {
      Head(out, k.name, "counter", k.help);
      for (const auto& [q, qm] : m.queues) Sample(out, k.name, "queue=\"" + Label(q) + "\"", qm.*k.field);
    }
    Head(out, "cronq_lease_expirations_total", "counter", "Leases that ended without an answer from the worker.");
    for (const auto& [q, qm] : m.queues) {
      Sample(out, "cronq_lease_expirations_total", "queue=\"" + Label(q) + "\",reason=\"stalled\"", qm.stalled);
      Sample(out, "cronq_lease_expirations_total", "queue=\"" + Label(q) + "\",reason=\"timeout\"", qm.timed_out);
    }
    Head(out, "cronq_job_processing_seconds", "histogram", "Attempt duration, from lease to its end.");
    for (const auto& [q, qm] : m.queues)
      HistogramSamples(out, "cronq_job_processing_seconds", "queue=\"" + Label(q) + "\"", qm.processing);
    Head(out, "cronq_job_wait_seconds", "histogram", "Time from a job's creation to the start of an attempt.");
    for (const auto& [q, qm] : m.queues)
      HistogramSamples(out, "cronq_job_wait_seconds", "queue=\"" + Label(q) + "\"", qm.wait);

    Head(out, "cronq_schedule_slots_total", "counter", "Schedule slots handled, by outcome.");
    for (const auto& [s, sm] : m.schedules) {
      Sample(out, "cronq_schedule_slots_total", "schedule=\"" + Label(s) + "\",status=\"fired\"", sm.fired);
      Sample(out, "cronq_schedule_slots_total", "schedule=\"" + Label(s) + "\",status=\"missed\"", sm.missed);
      Sample(out, "cronq_schedule_slots_total", "schedule=\"" + Label(s) + "\",status=\"skipped\"", sm.skipped);
    }
    Head(out, "cronq_schedule_lateness_seconds", "histogram", "Due time to fire, for fired slots.");
    for (const auto& [s, sm] : m.schedules)
      HistogramSamples(out, "cronq_schedule_lateness_seconds", "schedule=\"" + Label(s) + "\"", sm.lateness);

    Head(out, "cronq_engine_batches_total", "counter", "Storage batches run, and those whose commit failed.");
    Sample(out, "cronq_engine_batches_total", "result=\"ok\"", m.batches - m.batch_failures);
    Sample(out, "cronq_engine_batches_total", "result=\"failed\"", m.batch_failures);

    Head(out, "cronq_http_requests_total", "counter", "HTTP answers by route and status.");
    for (size_t r = 0; r <= routes_.size(); ++r) {
      std::string route = "unmatched";
      if (r < routes_.size()) {
        route = routes_[r].method + " /";
        for (size_t i = 0; i < routes_[r].pattern.size(); ++i) route += (i ? "/" : "") + routes_[r].pattern[i];
      }
      for (size_t i = 0; i < kCountedStatuses.size(); ++i) {
        uint64_t n = http_counts_[r][i].load(std::memory_order_relaxed);
        if (n == 0) continue;
        std::string status = kCountedStatuses[i] ? std::to_string(kCountedStatuses[i]) : "other";
        Sample(out, "cronq_http_requests_total", "route=\"" + Label(route) + "\",status=\"" + status + "\"", n);
      }
    }
    net::HttpResponse resp;
    resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    resp.body = std::move(out);
    c.Send(std::move(resp));
  }));
}

}  // namespace cronq::api
