// Engine: owns the store's thread, groups operations into durable batches, parks
// long-poll fetches, and runs everything that is due.
//
// Threading. Callers on any thread submit operations; each is queued and the
// engine thread runs all queued operations in one store batch, commits once
// (group commit: one fsync for the whole batch, LevelDB's BuildBatchGroup idea),
// and only then answers each caller: an acknowledged write is durable. Answers go
// through `EngineOptions::post`, so a caller can have them run on its own threads
// (the HTTP server posts them to its I/O threads, keeping JSON off this thread).
// With EngineOptions::run_later, an operation that finds the engine idle runs its
// batch on the submitting thread instead; batches never overlap (run_mu_).
//
// Time. The engine reads the clock once per batch. Between batches it sleeps
// until the planner's next deadline (core/planner.h) or until work arrives.
//
// Long-poll. A fetch that finds nothing and may wait is parked per queue. Any
// batch that makes jobs waiting in that queue (enqueue, promotion, retry, stall,
// resume) serves parked fetches in the same batch, oldest first, so a job reaches
// an idle worker one batch after it was enqueued.
#pragma once

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/cron/cron_schedule.h"
#include "core/planner.h"
#include "engine/metrics.h"
#include "storage/store.h"

namespace cronq {

template <typename T>
using Callback = std::function<void(Result<T>)>;

struct Empty {};

// One result per entry of a batch acknowledgement, in request order.
struct AckResults {
  std::vector<Status> complete;
  std::vector<Status> fail;
};

// An acknowledgement and the jobs leased right after it (Engine::AckThenFetch).
struct AckAndLeases {
  AckResults acks;
  std::vector<Lease> leases;
};

// A change to a queue's settings (PUT /v1/queues/{queue}); unset fields stay.
struct QueueUpdate {
  std::optional<bool> paused;
  std::optional<std::optional<PushConfig>> push;  // set to nullopt: back to a pull queue
  std::optional<JobDefaults> defaults;
};

// What a committed batch did, for observers (alerts, the event stream). Valid only
// during the call.
struct BatchReport {
  TimeMs now = 0;
  const std::map<std::string, int64_t>& enqueued;  // queue -> new jobs
  const std::vector<Lease>& started;
  const std::vector<AttemptEnd>& ended;
  const std::vector<SlotRecord>& slots;
  bool operator_changes = false;  // an operator or worker moved jobs in ways not listed above
};

struct EngineOptions {
  // Runs an answer; default: on the engine thread. Must not block.
  std::function<void(std::function<void()>)> post;
  size_t max_ops_per_batch = 2048;
  bool log_jobs = true;  // one log line per job start and finish
  // After a batch, poll this long for new work before sleeping. Under load the
  // next request usually arrives within it, and a sleeping thread (worse: an
  // idle virtual CPU) takes far longer to wake. 0 disables.
  std::chrono::microseconds spin{50};
  // Set when other cronq processes share the store (Redis replicas). Their work
  // is not announced to this engine, so it looks for itself: parked fetches try
  // to lease again every `shared_poll` ms (a job enqueued on another replica
  // reaches a worker parked here within that time), and the store's deadlines
  // are re-read at least every `shared_refresh` ms (a lease taken on a replica
  // that died is expired by the others). 0: this engine owns the store alone.
  Millis shared_poll = 0;
  Millis shared_refresh = 0;
  // How long before its due instant a slot of a schedule with overlap `allow` is
  // claimed: its job is enqueued delayed until the due instant, so the due instant
  // itself only promotes it (src/engine/scheduler.cc). Must cover the time the
  // claims of one instant take (about 30 us per slot: 10,000 schedules due in the
  // same second need about 0.3 s), and is the window in which a pause, delete or
  // changed upsert has to take a claimed slot back. 0: claim at the due instant.
  Millis schedule_lead = 1'000;
  // Called on the engine thread after each committed batch that changed jobs or
  // slots. Must be quick and must not block: copy what is needed and return.
  std::function<void(const BatchReport&)> on_batch = nullptr;
  // Optional. Called from the thread submitting an operation: if that thread can
  // run `fn` itself a little later (after the work it already has ready, e.g. an
  // HTTP I/O thread), it queues it and returns true; otherwise false. With it, an
  // operation submitted while the engine thread is idle runs its batch on the
  // submitting thread, together with every operation submitted before `fn` runs
  // (group commit still applies), and its answers are posted back to that same
  // thread: no thread hand-off on the way in or out. A busy engine thread still
  // takes the operations in its next batch, as without this option.
  std::function<bool(std::function<void()>)> run_later = nullptr;
  // ...but only when no batch ended within this time: under steady load the
  // engine thread commits while the submitting threads read the next requests,
  // and running batches on those threads would serialize the two.
  std::chrono::microseconds run_later_idle{100};
};

struct EngineStats {
  uint64_t batches = 0, ops = 0, commit_failures = 0;
  size_t parked_fetches = 0;
  uint64_t slots_fired = 0, slots_missed = 0, slots_skipped = 0;
};

// Who asked for an operator action, for the audit log: the token's name and scope.
// An action whose actor has no name records nothing (cronq's own calls, such as
// loading vercel.json at start-up). The entry is written in the action's batch.
struct Actor {
  std::string name, scope;
};

// What a clean or retry-all did.
struct BulkResult {
  int64_t count = 0;
};

// A schedule with its recent slot history, newest first.
struct ScheduleView {
  ScheduleState state;
  std::vector<SlotRecord> slots;
};

class Engine {
 public:
  Engine(Store& store, Clock& clock, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void Start();
  // Runs what is queued, answers parked fetches with empty lists, joins the thread.
  // Operations submitted after Stop() are answered Unavailable.
  void Stop();

  void Enqueue(std::string queue, std::vector<NewJob> jobs, Callback<std::vector<EnqueueResult>> cb);
  // Leases up to spec.max jobs; if none is ready, waits up to `wait` for one.
  // `gone`, when set, tells that the caller left: a parked fetch is then dropped
  // instead of being handed jobs nobody would receive.
  void Fetch(FetchSpec spec, Millis wait, Callback<std::vector<Lease>> cb,
             std::shared_ptr<const std::atomic<bool>> gone = nullptr);
  void Extend(ExtendSpec spec, Callback<TimeMs> cb);
  void Complete(CompleteSpec spec, Callback<AttemptEnd> cb);
  void Fail(FailSpec spec, Callback<AttemptEnd> cb);
  void Ack(std::vector<CompleteSpec> complete, std::vector<FailSpec> fail, Callback<AckResults> cb);
  // Acknowledges as Ack does, then leases up to next.max jobs as Fetch does, in
  // one operation, so both go to disk in one commit: a worker's "these are done,
  // give me more" in one round trip. It does not wait: when no job is ready the
  // list is empty, as it is on a push queue (the acks stand either way).
  void AckThenFetch(std::vector<CompleteSpec> complete, std::vector<FailSpec> fail, FetchSpec next,
                    Callback<AckAndLeases> cb, std::shared_ptr<const std::atomic<bool>> gone = nullptr);

  // Operator actions. Each records an audit entry for `who` in its own batch.
  void Retry(std::string queue, std::string id, Callback<Empty> cb, Actor who = {});
  void Promote(std::string queue, std::string id, Callback<Empty> cb, Actor who = {});
  void Remove(std::string queue, std::string id, Callback<Empty> cb, Actor who = {});
  void SetPaused(std::string queue, bool paused, Callback<Empty> cb, Actor who = {});
  void EnsureQueue(std::string queue, Callback<Empty> cb, Actor who = {});
  // Removes up to `limit` jobs in `state` (waiting, delayed, completed or failed)
  // that were created before `before` and, for finished jobs, finished before it.
  void Clean(std::string queue, JobState state, TimeMs before, int limit, Callback<BulkResult> cb, Actor who = {});
  // Moves up to `limit` failed jobs back to waiting.
  void RetryAllFailed(std::string queue, int limit, Callback<BulkResult> cb, Actor who = {});
  void ListAudit(AuditQuery q, Callback<AuditPage> cb);
  // Dashboard sessions, kept in the store (Store::PutSession): a login or an
  // extension, a lookup at the engine's clock, a logout.
  void PutSession(std::string key, SessionRecord s, bool only_existing, Callback<Empty> cb);
  void GetSession(std::string key, Callback<std::optional<SessionRecord>> cb);
  void DeleteSession(std::string key, Callback<Empty> cb);
  // Creates the queue if needed, applies `update` in one batch (with one audit
  // entry, "queue.put") and answers the queue as it is then.
  void UpdateQueue(std::string queue, QueueUpdate update, Callback<QueueInfo> cb, Actor who = {});
  void ListPushQueues(Callback<std::vector<PushQueue>> cb);

  // Schedules. Put creates or replaces; an unchanged timing (expression, zone,
  // start, end) keeps the next due slot, so redeploys that upsert the same
  // schedule neither skip nor repeat a slot.
  void PutSchedule(ScheduleDef def, Callback<ScheduleView> cb, Actor who = {});
  void GetSchedule(std::string name, int history, Callback<ScheduleView> cb);
  void ListSchedules(Callback<std::vector<ScheduleState>> cb);
  void DeleteSchedule(std::string name, Callback<Empty> cb, Actor who = {});
  void SetSchedulePaused(std::string name, bool paused, Callback<Empty> cb, Actor who = {});
  // Fires the schedule now, as an extra slot at this instant (overlap ignored).
  void TriggerSchedule(std::string name, Callback<SlotClaim> cb, Actor who = {});

  void GetJob(std::string queue, std::string id, Callback<Job> cb);
  void ListJobs(std::string queue, JobQuery q, Callback<JobPage> cb);
  void ListQueues(Callback<std::vector<QueueInfo>> cb);
  void GetQueue(std::string queue, Callback<QueueInfo> cb);

  // True while the last commit succeeded (for /readyz).
  bool healthy() const;
  EngineStats stats() const;
  const EngineMetrics& metrics() const { return metrics_; }
  // Wakes the engine to re-read the clock (tests with a ManualClock).
  void Poke();

 private:
  struct Batch {
    std::set<std::string> woken;  // queues that got waiting jobs in this batch
    std::vector<Lease> started;   // logged once committed
    std::vector<AttemptEnd> ended;
    std::vector<SlotRecord> slots;  // schedule slots handled, logged once committed
    std::map<std::string, int64_t> enqueued;  // queue -> new jobs, counted once committed
    std::vector<std::pair<std::string, std::string>> fetchers;  // (queue, worker) of this batch's fetches
    bool changed = false;                     // an operation moved jobs (operator actions, removals)
    // Set by an operation that failed after some of its writes succeeded (an
    // audit entry that could not be written after its action): the batch is
    // rolled back and every operation in it answered with this error.
    Status fatal;
    std::vector<std::function<void(const Status&)>> replies;  // run once the commit's fate is known
  };
  // An operation runs on the engine thread inside a batch and returns the answer
  // to deliver once the batch's fate is known (committed, or failed with Status).
  using Reply = std::function<void(const Status& commit)>;
  struct Op {
    std::function<Reply(Store&, TimeMs now, Batch&)> run;  // may return an empty Reply (parked)
    std::function<void(const Status&)> abort;              // answers without running
  };
  struct Waiter {
    FetchSpec spec;
    TimeMs deadline;
    Callback<std::vector<Lease>> cb;
    std::shared_ptr<const std::atomic<bool>> gone;
    bool Gone() const { return gone && gone->load(); }
  };

  template <typename T>
  void Submit(Callback<T> cb, std::function<Result<T>(Store&, TimeMs, Batch&)> fn);
  void Push(Op op);
  void Loop();
  // Runs queued operations on the calling thread if no batch is running (see
  // EngineOptions::run_later); otherwise leaves them to the engine thread.
  void RunQueuedHere();
  bool EngineIdle() const;  // no batch ended within run_later_idle
  // Takes up to max_ops_per_batch queued operations. REQUIRES: mu_ held.
  void TakeQueued(std::vector<Op>& ops);
  // When the engine thread must wake next for timer work. REQUIRES: mu_ held.
  TimeMs WakeAt(TimeMs now) const;
  // The batch runner's view of what is due, copied for WakeAt. REQUIRES: run_mu_ and mu_ held.
  void UpdateWakePlan();
  void RunBatch(std::vector<Op>& ops);
  void ServeWaiters(Store& s, TimeMs now, Batch& b);
  // The body of Ack (and of AckThenFetch) inside a batch.
  AckResults RunAck(Store& s, TimeMs now, Batch& b, const std::vector<CompleteSpec>& complete,
                    const std::vector<FailSpec>& fail);
  // Takes the first parked fetch of `ws` and answers it with `r` once the batch's
  // fate is known.
  void AnswerFrontWaiter(std::deque<Waiter>& ws, Result<std::vector<Lease>> r, Batch& b);
  // Appends the audit entry of an operator action whose writes already succeeded;
  // on failure the whole batch fails (b.fatal), so no action commits unrecorded.
  static Status Audit(Store& s, Batch& b, const Actor& who, TimeMs now, std::string action, std::string target,
                      std::string detail = {});
  // Handles the slots due at `now` and claims ahead those due by `ahead_until`.
  void FireSchedules(Store& s, TimeMs now, TimeMs ahead_until, Batch& b);
  void FireSchedule(Store& s, const ScheduleState& st, TimeMs now, TimeMs ahead_until, Batch& b);
  // The store's deadlines with the schedules that may be claimed ahead folded in
  // at their claim instant (next_schedule_ahead - schedule_lead).
  Deadlines WakeDeadlines() const;
  // The parsed cron of (expr, zone), cached; nullptr when it does not parse.
  const CronSchedule* Cron(const std::string& expr, const std::string& tz);
  void ExpireWaiters(TimeMs now, bool all);
  // Hands an answer to `post`. On the engine thread answers are collected and
  // posted together once per batch (one thread wake-up, not one per answer).
  void Deliver(std::function<void()> fn);
  void FlushOutbox();
  void LogStart(const Lease& l);
  void LogEnd(const AttemptEnd& e);
  double Unit();

  Store& store_;
  Clock& clock_;
  EngineOptions opt_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Op> queue_;  // guarded by mu_
  std::atomic<size_t> queued_{0};  // queue_.size(), readable without mu_ (for the spin below)
  bool running_ = false, stopping_ = false, poked_ = false;
  bool run_here_pending_ = false;  // guarded by mu_: a RunQueuedHere() is queued on some thread
  std::atomic<int64_t> last_batch_end_ns_{0};  // steady clock, end of the latest batch
  // What the engine thread's timer needs to know, copied from the runner's state
  // after every batch (guarded by mu_), and when it is set to wake.
  struct WakePlan {
    Deadlines deadlines;
    bool known = false;
    std::optional<TimeMs> next_waiter;
    bool has_waiters = false;
    TimeMs last_batch = 0, last_poll = 0, last_failure = 0;
    Millis failure_backoff = 0;
    bool healthy = true;
  } plan_;
  TimeMs planned_wake_ = 0;  // guarded by mu_; 0 while the engine thread is not waiting

  // Held by whichever thread runs a batch (the engine thread, or a submitting
  // thread through RunQueuedHere): batches never overlap, and the state below
  // marked "runner" belongs to the holder.
  std::mutex run_mu_;
  EngineStats stats_;       // guarded by mu_
  EngineMetrics metrics_;
  bool healthy_ = true;     // guarded by mu_

  std::thread thread_;
  // Runner only (run_mu_ held).
  std::map<std::string, std::deque<Waiter>> waiters_;
  Deadlines deadlines_;
  bool deadlines_known_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
  std::unordered_map<std::string, std::optional<CronSchedule>> crons_;
  std::vector<std::function<void()>> outbox_;
  TimeMs last_failure_ = 0;
  TimeMs last_batch_ = 0;      // when the latest batch ran (shared_refresh)
  TimeMs last_poll_ = 0;       // when parked fetches last polled (shared_poll)
  // The delayed deadline at which parked fetches were last served ahead of the
  // due pass (see RunBatch), and when that deadline's due pass may run: 0 when
  // the store's earliest delayed deadline is another one.
  TimeMs served_due_ = 0;
  TimeMs SettleEnd() const;
  Millis failure_backoff_ = 0;
};

}  // namespace cronq
