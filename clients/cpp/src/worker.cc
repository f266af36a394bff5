// The worker's four kinds of thread and the state they share. All shared state
// is under mu_; no HTTP call is made while holding it.
#include "cronq/client/worker.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "codec.h"
#include "core/limits.h"

namespace cronq::client {
namespace detail {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What a handler call produced, waiting for its acknowledgement.
struct Outcome {
  Job* job = nullptr;
  bool ok = false;
  json result;
  std::string error;
  bool unrecoverable = false;
};

class WorkerCore {
 public:
  WorkerCore(std::string queue, Handler handler, std::shared_ptr<Connection> conn, Status conn_error,
             WorkerOptions o)
      : queue_(std::move(queue)),
        handler_(std::move(handler)),
        conn_(std::move(conn)),
        conn_error_(std::move(conn_error)),
        o_(std::move(o)) {
    if (!o_.on_error) {
      o_.on_error = [q = queue_](const Status& s) { std::cerr << "cronq worker (" << q << "): " << s.ToString() << "\n"; };
    }
    if (o_.name.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      o_.name = "cpp:" + std::string(host) + ":" + std::to_string(getpid());
    }
  }

  Status Start();
  void Stop();
  bool running() {
    std::lock_guard lock(mu_);
    return started_ && !stopped_;
  }
  Status Extend(Job& job, json body);
  bool LeaseLost(const Job& job) {
    std::lock_guard lock(mu_);
    auto it = leases_.find(&job);
    return it != leases_.end() && it->second.lost;
  }

 private:
  struct Lease {
    std::unique_ptr<Job> job;
    SteadyClock::time_point next_beat;
    bool lost = false;
  };

  Status CheckOptions() const;
  std::string Path(const std::string& suffix) const { return "/v1/queues/" + queue_ + suffix; }
  // Slots not running, not waiting for a handler, and not asked for by a request in flight.
  int FreeSlots() const {
    return o_.concurrency - running_ - static_cast<int>(ready_.size()) - fetching_ - carried_;
  }
  milliseconds BeatEvery() const { return std::max(milliseconds(50), o_.lock_duration / 2); }

  void FetchLoop();
  void TakeLeases(const json& jobs, SteadyClock::time_point asked_at);
  void HandlerLoop();
  Outcome Run(Job& job);
  void AckLoop();
  // Sends one ack; with carry > 0 it also asks for that many next jobs (no wait)
  // and returns those it got.
  json Acknowledge(std::vector<Outcome>& batch, int carry);
  void AckOneByOne(std::vector<Outcome>& batch);
  void Reported(const Outcome& o, const Status& st);
  void HeartbeatLoop();
  void MarkLost(const Job* job, const Status& why);

  const std::string queue_;
  const Handler handler_;
  const std::shared_ptr<Connection> conn_;
  const Status conn_error_;
  WorkerOptions o_;

  std::mutex stop_mu_;  // one Stop() at a time
  std::thread fetcher_, acker_, beater_;
  std::vector<std::thread> handlers_;

  std::mutex mu_;
  std::condition_variable fetch_cv_;  // a slot freed, or stopping
  std::condition_variable ready_cv_;  // a job is ready, or fetching ended
  std::condition_variable ack_cv_;    // an outcome is pending, or the handlers ended
  std::condition_variable beat_cv_;   // leases changed, or heartbeats end
  bool started_ = false, stopped_ = false;
  bool stopping_ = false;     // no new fetch
  bool fetch_done_ = false;   // the fetch thread ended: handlers drain and end
  int handlers_left_ = 0;     // handler threads still running
  bool beats_done_ = false;   // every outcome acknowledged: heartbeats end
  int running_ = 0;           // handler calls in progress
  int fetching_ = 0;          // slots asked for by the fetch thread's request in flight
  int carried_ = 0;           // slots asked for by the fetch an ack carries, in flight
  bool acking_ = false;       // an ack is in flight (or outcomes wait for one): the fetch thread lets it fetch
  std::deque<Job*> ready_;    // leased, waiting for a handler thread
  std::vector<Outcome> outcomes_;
  std::map<const Job*, Lease> leases_;  // every lease held, from fetch to acknowledgement
};

Status WorkerCore::CheckOptions() const {
  if (!conn_error_.ok()) return conn_error_;
  if (!IsValidQueueName(queue_))
    return Status::InvalidArgument("bad queue name '" + queue_ + "': use 1-128 characters from A-Z a-z 0-9 . _ : -");
  if (!handler_) return Status::InvalidArgument("the worker needs a handler");
  if (o_.concurrency < 1 || o_.concurrency > 1000)
    return Status::InvalidArgument("concurrency must be 1-1000, not " + std::to_string(o_.concurrency));
  if (o_.lock_duration.count() < limits::kLockMin || o_.lock_duration.count() > limits::kLockMax)
    return Status::InvalidArgument("lock_duration must be 100 ms - 24 h, not " +
                                   std::to_string(o_.lock_duration.count()) + " ms");
  if (o_.fetch_wait.count() < 0 || o_.fetch_wait.count() > limits::kFetchWaitMax)
    return Status::InvalidArgument("fetch_wait must be 0-30000 ms, not " + std::to_string(o_.fetch_wait.count()));
  if (o_.retry_delay.count() < 0) return Status::InvalidArgument("retry_delay must be >= 0");
  return Status::Ok();
}

Status WorkerCore::Start() {
  CRONQ_RETURN_IF_ERROR(CheckOptions());
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    if (started_) return Status::Conflict("the worker was already started");
    started_ = true;
    handlers_left_ = o_.concurrency;
  }
  for (int i = 0; i < o_.concurrency; ++i) handlers_.emplace_back(&WorkerCore::HandlerLoop, this);
  acker_ = std::thread(&WorkerCore::AckLoop, this);
  beater_ = std::thread(&WorkerCore::HeartbeatLoop, this);
  fetcher_ = std::thread(&WorkerCore::FetchLoop, this);
  return Status::Ok();
}

// Each thread ends on its own once the one before it in this chain has ended:
// fetcher (stopping_) -> handlers (fetch_done_, ready_ empty) -> acker (no handler
// left, no outcome pending) -> heartbeats (beats_done_).
void WorkerCore::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) return;
    stopping_ = true;
  }
  fetch_cv_.notify_all();
  fetcher_.join();
  for (std::thread& t : handlers_) t.join();
  acker_.join();
  {
    std::lock_guard lock(mu_);
    beats_done_ = true;
  }
  beat_cv_.notify_all();
  beater_.join();
  std::lock_guard lock(mu_);
  stopped_ = true;
}

// ---- fetching

void WorkerCore::FetchLoop() {
  for (;;) {
    int free;
    {
      std::unique_lock lock(mu_);
      // While outcomes wait for their ack, that ack fetches for the slots they freed.
      fetch_cv_.wait(lock, [&] { return stopping_ || (FreeSlots() > 0 && outcomes_.empty() && !acking_); });
      if (stopping_) break;
      free = std::min(FreeSlots(), limits::kFetchMax);
      fetching_ = free;
    }
    json body = {{"max", free},
                 {"waitMs", o_.fetch_wait.count()},
                 {"lockMs", o_.lock_duration.count()},
                 {"worker", o_.name}};
    const auto asked_at = SteadyClock::now();
    Result<json> r = conn_->Call("POST", Path("/fetch"), &body);
    if (r.ok()) TakeLeases(r->value("jobs", json::array()), asked_at);
    {
      std::lock_guard lock(mu_);
      fetching_ = 0;
    }
    if (r.ok()) continue;
    o_.on_error(r.status());
    std::unique_lock lock(mu_);
    fetch_cv_.wait_for(lock, o_.retry_delay, [&] { return stopping_; });
  }
  {
    std::lock_guard lock(mu_);
    fetch_done_ = true;
  }
  ready_cv_.notify_all();
}

// The lease started after `asked_at`, so it runs at least until asked_at + lock:
// the first heartbeat is due half a lock after that.
void WorkerCore::TakeLeases(const json& jobs, SteadyClock::time_point asked_at) {
  if (!jobs.is_array() || jobs.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (const json& j : jobs) {
      auto job = std::unique_ptr<Job>(new Job());
      job->id_ = codec::Str(j, "id");
      job->name_ = codec::Str(j, "name");
      job->queue_ = queue_;
      job->data_ = j.value("data", json());
      job->attempt_ = static_cast<int>(codec::Int(j, "attempt", 1));
      job->attempts_ = static_cast<int>(codec::Int(j, "attempts", 1));
      job->timestamp_ = codec::Int(j, "timestamp");
      job->fire_id_ = codec::Str(j, "fireId");
      job->token_ = codec::Str(j, "token");
      job->core_ = this;
      Job* raw = job.get();
      leases_.emplace(raw, Lease{std::move(job), asked_at + BeatEvery(), false});
      ready_.push_back(raw);
    }
  }
  ready_cv_.notify_all();
  beat_cv_.notify_all();
}

// ---- running handlers

void WorkerCore::HandlerLoop() {
  for (;;) {
    Job* job;
    {
      std::unique_lock lock(mu_);
      // A fetch carried by an ack in flight may still bring jobs.
      ready_cv_.wait(lock, [&] { return !ready_.empty() || (fetch_done_ && carried_ == 0); });
      if (ready_.empty()) break;
      job = ready_.front();
      ready_.pop_front();
      ++running_;
    }
    Outcome out = Run(*job);
    {
      std::lock_guard lock(mu_);
      outcomes_.push_back(std::move(out));
      --running_;
    }
    ack_cv_.notify_one();
    fetch_cv_.notify_one();
  }
  {
    std::lock_guard lock(mu_);
    --handlers_left_;
  }
  ack_cv_.notify_one();
}

Outcome WorkerCore::Run(Job& job) {
  Outcome o;
  o.job = &job;
  try {
    o.result = handler_(job);
    o.ok = true;
  } catch (const UnrecoverableError& e) {
    o.error = e.what();
    o.unrecoverable = true;
  } catch (const std::exception& e) {
    o.error = e.what();
  } catch (...) {
    o.error = "the handler threw something that is not a std::exception";
  }
  if (!o.ok && o.error.empty()) o.error = "failed without a message";
  return o;
}

// ---- acknowledging

void WorkerCore::AckLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    ack_cv_.wait(lock, [&] { return !outcomes_.empty() || handlers_left_ == 0; });
    if (outcomes_.empty()) break;
    std::vector<Outcome> batch;
    batch.swap(outcomes_);
    acking_ = true;
    const int carry = stopping_ ? 0 : std::min(FreeSlots(), limits::kFetchMax);
    carried_ = carry;
    lock.unlock();
    const auto asked_at = SteadyClock::now();
    json jobs = Acknowledge(batch, carry);
    TakeLeases(jobs, asked_at);
    lock.lock();
    for (const Outcome& o : batch) leases_.erase(o.job);
    carried_ = 0;
    acking_ = false;
    beat_cv_.notify_all();
    ready_cv_.notify_all();
    fetch_cv_.notify_one();
  }
}

// One batch ack, carrying a fetch for `carry` slots (the answer's `jobs`, returned):
// finished jobs bring the next ones in the same request and commit. The server
// checks every entry before running any, so an entry it refuses (a result over its
// size limit) would sink the batch: then each outcome goes alone, without a fetch,
// and a refused result fails its job instead.
json WorkerCore::Acknowledge(std::vector<Outcome>& batch, int carry) {
  json complete = json::array(), fail = json::array();
  for (const Outcome& o : batch) {
    if (o.ok) {
      complete.push_back({{"id", o.job->id()}, {"token", o.job->token()}, {"result", o.result}});
    } else {
      fail.push_back({{"id", o.job->id()}, {"token", o.job->token()}, {"error", o.error},
                      {"unrecoverable", o.unrecoverable}});
    }
  }
  json body = {{"complete", std::move(complete)}, {"fail", std::move(fail)}};
  if (carry > 0) body["fetch"] = {{"max", carry}, {"lockMs", o_.lock_duration.count()}, {"worker", o_.name}};
  Result<json> r = conn_->Call("POST", Path("/ack"), &body);
  // A lost connection or a busy disk: try again a few times (a repeated entry that
  // had been applied answers a conflict, which is only reported).
  for (int tries = 1; tries < 4 && !r.ok(); ++tries) {
    if (r.status().code() != Code::kUnavailable && r.status().code() != Code::kInternal) break;
    std::this_thread::sleep_for(milliseconds(200 << tries));
    r = conn_->Call("POST", Path("/ack"), &body);
  }
  if (!r.ok()) {
    if (r.status().IsInvalidArgument() || r.status().code() == Code::kTooLarge) {
      AckOneByOne(batch);
      return json::array();
    }
    o_.on_error(r.status());
    return json::array();
  }
  // One answer per entry, complete ones first, each list in request order.
  const json& done = r->value("complete", json::array());
  const json& failed = r->value("fail", json::array());
  size_t ci = 0, fi = 0;
  for (const Outcome& o : batch) {
    const json& list = o.ok ? done : failed;
    size_t& i = o.ok ? ci : fi;
    json entry = i < list.size() ? list[i] : json();
    ++i;
    if (entry.value("ok", false)) {
      Reported(o, Status::Ok());
    } else {
      json err = entry.value("error", json::object());
      std::string msg = "job " + o.job->id() + ": " + (err.is_object() ? codec::Str(err, "message") : "no answer");
      Reported(o, codec::Str(err, "code") == "not_found" ? Status::NotFound(msg) : Status::Conflict(msg));
    }
  }
  return r->value("jobs", json::array());
}

void WorkerCore::AckOneByOne(std::vector<Outcome>& batch) {
  for (Outcome& o : batch) {
    std::string path = Path("/jobs/" + EncodePathSegment(o.job->id()));
    json body = {{"token", o.job->token()}};
    Result<json> r = Status::Internal("unsent");
    if (o.ok) {
      body["result"] = o.result;
      r = conn_->Call("POST", path + "/complete", &body);
      if (!r.ok() && (r.status().IsInvalidArgument() || r.status().code() == Code::kTooLarge)) {
        o.ok = false;
        o.error = "the server refused the handler's result: " + r.status().message();
        body.erase("result");
      }
    }
    if (!o.ok) {
      body["error"] = o.error;
      body["unrecoverable"] = o.unrecoverable;
      r = conn_->Call("POST", path + "/fail", &body);
    }
    Reported(o, r.status());
  }
}

void WorkerCore::Reported(const Outcome& o, const Status& st) {
  if (!st.ok()) {
    o_.on_error(st);
    return;
  }
  try {  // a throwing callback must not end the ack thread
    if (o.ok && o_.on_completed) o_.on_completed(*o.job, o.result);
    if (!o.ok && o_.on_failed) o_.on_failed(*o.job, o.error, o.unrecoverable);
  } catch (const std::exception& e) {
    o_.on_error(Status::Internal(std::string("on_completed/on_failed threw: ") + e.what()));
  } catch (...) {
    o_.on_error(Status::Internal("on_completed/on_failed threw"));
  }
}

// ---- heartbeats

Status WorkerCore::Extend(Job& job, json body) {
  body["token"] = job.token();
  body["lockMs"] = o_.lock_duration.count();
  Result<json> r = conn_->Call("POST", Path("/jobs/" + EncodePathSegment(job.id()) + "/extend"), &body);
  if (!r.ok() && (r.status().IsConflict() || r.status().IsNotFound())) MarkLost(&job, r.status());
  return r.status();
}

void WorkerCore::MarkLost(const Job* job, const Status& why) {
  bool first = false;
  {
    std::lock_guard lock(mu_);
    auto it = leases_.find(job);
    if (it != leases_.end() && !it->second.lost) first = it->second.lost = true;
  }
  if (first) o_.on_error(Status::Conflict("lease of job " + job->id() + " lost: " + why.message()));
}

// Sleeps until the earliest heartbeat is due and sends those that are due. The
// calls go out without the lock, so they use copies of id and token: the ack
// thread may end the lease (and free its Job) meanwhile, and a 409 then is no news.
void WorkerCore::HeartbeatLoop() {
  std::unique_lock lock(mu_);
  while (!beats_done_) {
    auto now = SteadyClock::now();
    auto next = now + std::chrono::hours(1);
    std::vector<std::pair<const Job*, std::pair<std::string, std::string>>> due;
    for (auto& [job, lease] : leases_) {
      if (lease.lost) continue;
      if (lease.next_beat <= now) {
        due.push_back({job, {job->id(), job->token()}});
        lease.next_beat = now + BeatEvery();
      }
      next = std::min(next, lease.next_beat);
    }
    if (due.empty()) {
      beat_cv_.wait_until(lock, next);
      continue;
    }
    lock.unlock();
    for (const auto& [job, idt] : due) {
      json body = {{"token", idt.second}, {"lockMs", o_.lock_duration.count()}};
      Result<json> r = conn_->Call("POST", Path("/jobs/" + EncodePathSegment(idt.first) + "/extend"), &body);
      if (r.ok()) continue;
      if (r.status().IsConflict() || r.status().IsNotFound()) {
        std::lock_guard relock(mu_);
        auto it = leases_.find(job);
        // Only when it is still the same lease: the ack may have ended it meanwhile.
        if (it == leases_.end() || it->second.lost || it->second.job->token() != idt.second) continue;
        it->second.lost = true;
      }
      o_.on_error(r.status());
    }
    lock.lock();
  }
}

}  // namespace detail

// ---- public API

Status Job::UpdateProgress(const nlohmann::json& progress) { return Extend({{"progress", progress}}); }
Status Job::Log(const std::string& line) { return Extend({{"logs", {line}}}); }
bool Job::lease_lost() const { return core_ && core_->LeaseLost(*this); }
Status Job::Extend(const nlohmann::json& extra) {
  if (!core_) return Status::Internal("job handle without a worker");
  return core_->Extend(*this, extra);
}

namespace {
std::pair<std::shared_ptr<Connection>, Status> OpenFor(const ConnectionOptions& c, std::chrono::milliseconds wait) {
  if (c.timeout <= wait + std::chrono::milliseconds(1000))
    return {nullptr, Status::InvalidArgument("the connection timeout must exceed fetch_wait by at least 1 s")};
  Result<std::shared_ptr<Connection>> r = Connection::Open(c);
  if (!r.ok()) return {nullptr, r.status()};
  return {std::move(r).value(), Status::Ok()};
}
}  // namespace

Worker::Worker(std::string queue, Handler handler, WorkerOptions options) {
  auto [conn, st] = OpenFor(options.connection, options.fetch_wait);
  core_ = std::make_unique<detail::WorkerCore>(std::move(queue), std::move(handler), std::move(conn), std::move(st),
                                               std::move(options));
}

Worker::Worker(std::string queue, Handler handler, std::shared_ptr<Connection> connection, WorkerOptions options) {
  Status st = connection ? Status::Ok() : Status::InvalidArgument("Worker needs a connection");
  core_ = std::make_unique<detail::WorkerCore>(std::move(queue), std::move(handler), std::move(connection),
                                               std::move(st), std::move(options));
}

Worker::~Worker() { Stop(); }
Status Worker::Start() { return core_->Start(); }
void Worker::Stop() { core_->Stop(); }
bool Worker::running() const { return core_->running(); }

}  // namespace cronq::client
