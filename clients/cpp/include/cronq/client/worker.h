// The consumer side: a Worker leases jobs from one queue and runs a handler on
// each, shaped like BullMQ's Worker.
//
//   cronq::client::Worker worker("email", [](cronq::client::Job& job) -> nlohmann::json {
//     job.Log("sending to " + job.data()["to"].get<std::string>());
//     if (!valid) throw cronq::client::UnrecoverableError("no such mailbox");
//     return {{"sent", true}};   // the job's result
//   }, {.connection = {.token = "cq_..."}, .concurrency = 8});
//   if (auto st = worker.Start(); !st.ok()) ...
//   ...
//   worker.Stop();  // graceful: running handlers finish and are acknowledged
//
// How it runs: one fetch thread long-polls the queue for as many jobs as there
// are free handler slots; `concurrency` handler threads run the handler; one
// heartbeat thread extends every running job's lease each lock_duration / 2; one
// ack thread reports outcomes, batching those that finish together into one
// `POST /v1/queues/{q}/ack` that also fetches the next jobs for the slots they
// freed.
//
// Errors: the handler signals failure by throwing. A std::exception fails the
// attempt with e.what() as its message (retried per the job's attempts and
// backoff); UnrecoverableError fails the job for good. Everything else that goes
// wrong (fetch, heartbeat or ack failures, a lost lease) goes to on_error and the
// worker carries on: delivery is at-least-once, so a job whose lease was lost may
// run again elsewhere.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "core/status.h"
#include "cronq/client/connection.h"

namespace cronq::client {

// Thrown by a handler: fail this job without retrying it.
class UnrecoverableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
class WorkerCore;
}

// The handle a handler gets for one leased attempt. Valid only during the
// handler call; used from the handler's thread.
class Job {
 public:
  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& queue() const { return queue_; }
  const nlohmann::json& data() const { return data_; }
  int attempt() const { return attempt_; }    // 1-based number of this attempt
  int attempts() const { return attempts_; }  // the job's attempts option
  int64_t timestamp() const { return timestamp_; }  // created at, ms since the epoch
  const std::string& fire_id() const { return fire_id_; }  // set when a schedule fired it
  const std::string& token() const { return token_; }      // the lease's fencing token

  // Replace the job's progress (any JSON), sent to the server now; it also
  // renews the lease. Conflict when the lease was lost.
  Status UpdateProgress(const nlohmann::json& progress);
  // Append a log line to the job (sent now; the server keeps the newest 1000).
  Status Log(const std::string& line);
  // True once a heartbeat learned that this attempt's lease is gone (expired and
  // re-leased, or the job was changed by an operator): its outcome will be refused.
  bool lease_lost() const;

  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

 private:
  friend class detail::WorkerCore;
  Job() = default;
  Status Extend(const nlohmann::json& extra);

  std::string id_, name_, queue_, fire_id_, token_;
  nlohmann::json data_;
  int attempt_ = 0, attempts_ = 0;
  int64_t timestamp_ = 0;
  detail::WorkerCore* core_ = nullptr;
};

// Returns the job's result (any JSON, null by default); throws to fail it.
using Handler = std::function<nlohmann::json(Job& job)>;

struct WorkerOptions {
  ConnectionOptions connection{};
  // Handler threads, 1-1000: at most this many jobs run at once.
  int concurrency = 1;
  // Lease length asked for each job (100 ms - 24 h); heartbeats renew it every half.
  std::chrono::milliseconds lock_duration{30'000};
  // How long one fetch waits on the server when the queue is empty (0-30 s). Stop()
  // may wait this long for the fetch in flight (whose jobs are then run).
  std::chrono::milliseconds fetch_wait{2'000};
  // Pause after a failed fetch before the next one.
  std::chrono::milliseconds retry_delay{1'000};
  // Kept with each attempt on the server; empty: "cpp:<host>:<pid>".
  std::string name{};
  // Called after a job's outcome was accepted by the server, from the ack thread
  // (one at a time). An exception they throw is reported to on_error.
  std::function<void(const Job&, const nlohmann::json& result)> on_completed{};
  std::function<void(const Job&, const std::string& error, bool unrecoverable)> on_failed{};
  // Fetch, heartbeat and ack problems and lost leases. Called from several worker
  // threads, possibly at once; must not throw. Default: a line on stderr.
  std::function<void(const Status&)> on_error{};
};

class Worker {
 public:
  // Does no I/O and starts nothing; see Start().
  Worker(std::string queue, Handler handler, WorkerOptions options = {});
  // Shares a connection with queues and other workers (options.connection unused;
  // the connection's timeout must exceed fetch_wait).
  Worker(std::string queue, Handler handler, std::shared_ptr<Connection> connection, WorkerOptions options = {});
  // Stop(), then returns.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Checks the options and starts the threads. InvalidArgument for a bad queue
  // name, handler or option; Conflict when already started. Once only.
  Status Start();
  // Graceful stop: no new fetch starts; the fetch in flight (at most fetch_wait)
  // delivers its jobs to handlers; every running handler finishes and its outcome
  // is acknowledged; then the threads end and Stop returns. Safe to call more
  // than once and from any thread except a handler's own.
  void Stop();
  bool running() const;

 private:
  std::unique_ptr<detail::WorkerCore> core_;
};

}  // namespace cronq::client
