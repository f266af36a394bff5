// The producer side: add jobs to a queue and look at them, shaped like BullMQ's
// Queue (`add`, `addBulk`, `getJob`, `getJobCounts`, `pause`, `resume`).
//
//   cronq::client::Queue email("email", {.url = "http://127.0.0.1:7700", .token = "cq_..."});
//   auto added = email.Add("welcome", {{"to", "ada@example.com"}}, {.attempts = 3});
//   if (!added.ok()) std::cerr << added.status().ToString() << "\n";
//
// Every call answers a cronq::Status or cronq::Result<T> (core/status.h); nothing
// throws. Input the server would refuse is refused here first where it is cheap to
// check (an empty name, a bad queue name, a negative delay), with InvalidArgument;
// the rest comes back as the server's 4xx mapped as described in connection.h.
// A Queue is safe to use from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "cronq/client/connection.h"

namespace cronq::client {

// Delay before a retry (docs/job-lifecycle.md#backoff).
struct Backoff {
  enum class Type { kFixed, kExponential };
  Type type = Type::kFixed;
  std::chrono::milliseconds delay{0};     // fixed: every retry; exponential: delay * 2^(n-1)
  double jitter = 0;                      // 0-1: the share of the delay that is random
  std::chrono::milliseconds max_delay{0}; // 0: the server's 7-day cap

  static Backoff Fixed(std::chrono::milliseconds d) { return {Type::kFixed, d, 0, {}}; }
  static Backoff Exponential(std::chrono::milliseconds d, double jitter = 0) {
    return {Type::kExponential, d, jitter, {}};
  }
};

// What happens to a job once it completed (or failed for good). BullMQ's KeepJobs.
struct Retention {
  bool remove_at_once = false;               // delete as soon as it finishes
  std::optional<int64_t> count{};              // keep only the newest N finished jobs
  std::optional<std::chrono::seconds> age{};   // delete this long after finishing

  static Retention Keep() { return {}; }  // the default: keep every job
  static Retention RemoveAtOnce() { return {true, std::nullopt, std::nullopt}; }
  static Retention KeepLast(int64_t n) { return {false, n, std::nullopt}; }
  static Retention MaxAge(std::chrono::seconds s) { return {false, std::nullopt, s}; }
};

// Job options; an absent value takes the server's default (docs/http-api.md,
// "Job options").
struct JobOptions {
  std::optional<int> attempts{};              // 1-1000, default 1: total attempts
  std::optional<Backoff> backoff{};           // default: retry at once
  std::chrono::milliseconds delay{0};       // > 0: the job starts `delayed`
  std::optional<int> priority{};              // 0-2097152, lower runs first; default 0
  std::string job_id{};                       // idempotency key; empty: server-assigned
  std::chrono::milliseconds timeout{0};     // hard limit per attempt; 0: none
  Retention remove_on_complete{};
  Retention remove_on_fail{};
  std::optional<int> max_stalls{};            // lease expiries survived; default 1
};

struct NewJob {
  std::string name{};
  nlohmann::json data{};  // any JSON; null when absent
  JobOptions options{};
};

struct Added {
  std::string id{};
  bool duplicate = false;  // a job with this job_id existed: `id` is that job's
  std::string state{};       // "waiting" or "delayed" (Add only; empty from AddBulk)
};

struct JobCounts {
  int64_t waiting = 0, delayed = 0, active = 0, completed = 0, failed = 0;
  bool paused = false;
};

// One job as the server shows it (GET /v1/queues/{q}/jobs/{id}). The typed fields
// are the common ones; `raw` holds the whole answer (attempts, opts, times...).
struct JobInfo {
  std::string id, queue, name, state;
  nlohmann::json data, progress, returnvalue;
  int attempts_made = 0;
  int stalls = 0;
  std::string failed_reason{};      // empty when none
  std::vector<std::string> logs;  // log lines, oldest first
  nlohmann::json raw{};
};

// A page of GetJobs: newest first.
struct JobQuery {
  std::string state{};   // waiting, delayed, active, completed or failed; empty: all
  std::string search{};  // a substring of the name, jobId or failed reason, or a numeric id
  int limit = 50;        // 1-1000
  std::string cursor{};  // next_cursor of the previous page
};
struct JobPage {
  std::vector<JobInfo> jobs;  // without attempts and logs (GetJob has them)
  std::string next_cursor;    // empty on the last page
};

class Queue {
 public:
  // Does no I/O. A bad URL or a missing token is reported by every call.
  Queue(std::string name, const ConnectionOptions& options);
  // Shares a connection (and its pool) with other queues and workers.
  Queue(std::string name, std::shared_ptr<Connection> connection);

  const std::string& name() const { return name_; }

  // Adds one job. A repeated options.job_id answers the first job, duplicate = true.
  Result<Added> Add(const std::string& job_name, const nlohmann::json& data = nullptr,
                    const JobOptions& options = {});
  // Adds 1-5000 jobs in one request and one storage transaction: all or none.
  // The answer has one entry per job, in order.
  Result<std::vector<Added>> AddBulk(const std::vector<NewJob>& jobs);
  // NotFound when the queue has no such job.
  Result<JobInfo> GetJob(const std::string& id);
  // Lists jobs (GET /v1/queues/{q}/jobs); an unused queue answers an empty page.
  Result<JobPage> GetJobs(const JobQuery& query = {});
  // All zero for a queue that was never used.
  Result<JobCounts> GetJobCounts();
  // Stop / restart leasing (needs an admin token). Creates the queue if needed.
  Status Pause();
  Status Resume();

 private:
  Result<Connection*> Conn();
  std::string Path(const std::string& suffix) const;

  std::string name_;
  std::shared_ptr<Connection> conn_;
  Status open_error_;
};

}  // namespace cronq::client
