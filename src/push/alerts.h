// Alerts to webhooks: a job that failed after its last attempt, a schedule slot
// that was missed or fired later than a threshold, a queue whose oldest waiting
// job is older than a threshold.
//
// An alert is not sent from here: it becomes a job in the internal queue
// `cronq:alerts` whose data is an HttpCall (a POST of the alert's JSON body), one
// job per webhook, and a second HttpCaller delivers those jobs. So alerts are
// durable, retried with backoff by the job's attempts, visible in the dashboard,
// and the engine thread only queues an enqueue (it never waits on a network).
// Failures of alert jobs themselves raise no alert.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/engine.h"

namespace cronq::push {

inline constexpr std::string_view kAlertQueue = "cronq:alerts";

struct Webhook {
  std::string url;             // http://...
  std::string format = "json";  // "json": the alert object; "slack": {"text": "..."} (Slack, Mattermost, ...)
};

struct AlertOptions {
  std::vector<Webhook> webhooks;   // none: alerts are off
  bool job_failed = true;          // a job failed for good
  bool schedule_missed = true;     // a slot was missed
  Millis schedule_late = 60'000;   // a slot fired this late or later; 0: off
  Millis oldest_waiting = 0;       // a queue's oldest waiting job is this old; 0: off
  Millis check_every = 30'000;     // how often the oldest waiting jobs are checked
  int max_per_minute = 60;         // more alerts in one minute are dropped (and logged)
  int attempts = 5;                // per webhook call, exponential backoff from 1 s
};

// One alert, before it is formatted for a webhook.
struct Alert {
  std::string type;  // "job.failed", "schedule.missed", "schedule.late", "queue.waiting"
  std::string text;  // one human-readable line
  std::vector<std::pair<std::string, std::string>> fields;  // queue, jobId, schedule, ...
  std::vector<std::pair<std::string, int64_t>> numbers;     // attempt, latenessMs, ageMs, ...
  TimeMs at = 0;
};

// The POST body for a webhook of `format`.
std::string AlertBody(const Alert& a, std::string_view format);

class Alerter {
 public:
  Alerter(Engine& engine, AlertOptions options);
  ~Alerter();
  void Start();  // the oldest-waiting checker, when enabled
  void Stop();
  // Engine thread: turns a committed batch into alerts.
  void OnBatch(const BatchReport& r);
  bool enabled() const { return !opt_.webhooks.empty(); }

 private:
  void Raise(Alert a);
  void CheckLoop();

  Engine& engine_;
  const AlertOptions opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;              // guarded by mu_
  int64_t minute_ = 0;                 // guarded by mu_
  int sent_this_minute_ = 0;           // guarded by mu_
  std::map<std::string, bool> waiting_alerted_;  // checker thread only: queue -> alerted, until it recovers
  std::thread checker_;
};

}  // namespace cronq::push
