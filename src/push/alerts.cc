#include "push/alerts.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/cron/iso8601.h"
#include "engine/await.h"
#include "push/http_call.h"
#include "push/http_caller.h"

namespace cronq::push {
namespace {

using nlohmann::json;

std::string Seconds(Millis ms) {
  if (ms < 120'000) return std::to_string(ms / 1000) + " s";
  if (ms < 7'200'000) return std::to_string(ms / 60'000) + " min";
  return std::to_string(ms / 3'600'000) + " h";
}

}  // namespace

std::string AlertBody(const Alert& a, std::string_view format) {
  if (format == "slack") return json{{"text", "cronq: " + a.text}}.dump(-1, ' ', false, json::error_handler_t::replace);
  json j = {{"type", a.type}, {"text", a.text}, {"at", FormatIso8601(a.at)}};
  for (const auto& [k, v] : a.fields) j[k] = v;
  for (const auto& [k, v] : a.numbers) j[k] = v;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Alerter::Alerter(Engine& engine, AlertOptions options) : engine_(engine), opt_(std::move(options)) {}

Alerter::~Alerter() { Stop(); }

void Alerter::Start() {
  if (!enabled() || opt_.oldest_waiting <= 0) return;
  checker_ = std::thread([this] { CheckLoop(); });
}

void Alerter::Stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (checker_.joinable()) checker_.join();
}

void Alerter::OnBatch(const BatchReport& r) {
  if (!enabled()) return;
  if (opt_.job_failed) {
    for (const AttemptEnd& e : r.ended) {
      if (e.state_after != JobState::kFailed || e.outcome == Outcome::kCompleted || e.queue == kAlertQueue) continue;
      Alert a{"job.failed",
              "job " + e.id + " (" + e.name + ") in queue " + e.queue + " failed after attempt " +
                  std::to_string(e.attempt) + (e.error.empty() ? "" : ": " + e.error),
              {{"queue", e.queue}, {"jobId", e.id}, {"name", e.name}, {"error", e.error},
               {"outcome", std::string(OutcomeName(e.outcome))}},
              {{"attempt", e.attempt}},
              r.now};
      Raise(std::move(a));
    }
  }
  for (const SlotRecord& s : r.slots) {
    const Millis late = s.handled_at - s.due_at;
    const std::string due = FormatIso8601(s.due_at);
    if (s.status == SlotStatus::kMissed && opt_.schedule_missed) {
      Raise(Alert{"schedule.missed", "schedule " + s.schedule + " missed its run due at " + due,
                  {{"schedule", s.schedule}, {"due", due}, {"note", s.note}}, {{"latenessMs", late}}, r.now});
    } else if (s.status == SlotStatus::kFired && opt_.schedule_late > 0 && late >= opt_.schedule_late &&
               s.note != "manual trigger") {
      Raise(Alert{"schedule.late", "schedule " + s.schedule + " fired " + Seconds(late) + " late (due at " + due + ")",
                  {{"schedule", s.schedule}, {"due", due}, {"jobId", s.job_id}}, {{"latenessMs", late}}, r.now});
    }
  }
}

// Every webhook gets its own job, so one broken receiver does not hold up others.
void Alerter::Raise(Alert a) {
  {
    std::lock_guard lk(mu_);
    const int64_t minute = a.at / 60'000;
    if (minute != minute_) {
      if (sent_this_minute_ > opt_.max_per_minute)
        spdlog::warn("event=alert.dropped count={} reason=\"more than {} alerts in a minute\"",
                     sent_this_minute_ - opt_.max_per_minute, opt_.max_per_minute);
      minute_ = minute;
      sent_this_minute_ = 0;
    }
    if (++sent_this_minute_ > opt_.max_per_minute) return;
  }
  std::vector<NewJob> jobs;
  for (const Webhook& w : opt_.webhooks) {
    HttpCall call;
    call.url = w.url;
    call.method = "POST";
    call.headers = {{"Content-Type", "application/json"}, {"User-Agent", "cronq-alerts"}};
    call.body = AlertBody(a, w.format);
    call.timeout = 10'000;
    JobOptions o = DefaultHttpCallOptions();
    o.attempts = opt_.attempts;
    jobs.push_back(NewJob{a.type, EncodeHttpCall(call), o});
  }
  spdlog::info("event=alert type={} text={:?}", a.type, a.text);
  engine_.Enqueue(std::string(kAlertQueue), std::move(jobs), [](Result<std::vector<EnqueueResult>> r) {
    if (!r.ok()) spdlog::error("event=alert.lost reason={:?}", r.status().ToString());
  });
}

// A queue alerts once when its oldest waiting job passes the threshold, and again
// only after it recovered.
void Alerter::CheckLoop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(opt_.check_every));
    if (stopping_) break;
    lk.unlock();
    Result<std::vector<QueueInfo>> qs = Await<std::vector<QueueInfo>>([&](auto cb) { engine_.ListQueues(cb); });
    const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    if (qs.ok()) {
      for (const QueueInfo& q : *qs) {
        if (q.name.rfind("cronq:", 0) == 0) continue;
        const Millis age = q.oldest_waiting ? now - q.oldest_waiting : 0;
        bool& alerted = waiting_alerted_[q.name];
        if (age >= opt_.oldest_waiting && !alerted) {
          alerted = true;
          Raise(Alert{"queue.waiting",
                      "queue " + q.name + ": the oldest waiting job has waited " + Seconds(age) + " (" +
                          std::to_string(q.counts[static_cast<int>(JobState::kWaiting)]) + " waiting)",
                      {{"queue", q.name}}, {{"ageMs", age}, {"waiting", q.counts[static_cast<int>(JobState::kWaiting)]}},
                      now});
        } else if (age < opt_.oldest_waiting) {
          alerted = false;
        }
      }
    }
    lk.lock();
  }
}

}  // namespace cronq::push
