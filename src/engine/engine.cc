#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace cronq {
namespace {

// The engine whose batch this thread is running, if any: its answers go to the
// outbox and are posted together when the batch ends.
thread_local const Engine* t_running = nullptr;
// The engine whose own thread (Loop) this is, if any. Set by that thread itself,
// so reading it never races with Start() storing the std::thread.
thread_local const Engine* t_engine_thread = nullptr;

struct RunningHere {
  explicit RunningHere(const Engine* engine) { t_running = engine; }
  ~RunningHere() { t_running = nullptr; }
  RunningHere(const RunningHere&) = delete;
  RunningHere& operator=(const RunningHere&) = delete;
};

}  // namespace

Engine::Engine(Store& store, Clock& clock, EngineOptions options)
    : store_(store), clock_(clock), opt_(std::move(options)) {}

Engine::~Engine() { Stop(); }

void Engine::Start() {
  std::lock_guard lk(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Engine::Stop() {
  {
    std::lock_guard lk(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lk(mu_);
  running_ = false;
}

bool Engine::healthy() const {
  std::lock_guard lk(mu_);
  return healthy_;
}

EngineStats Engine::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void Engine::Poke() {
  {
    std::lock_guard lk(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void Engine::Deliver(std::function<void()> fn) {
  if (t_running == this) {
    outbox_.push_back(std::move(fn));
    return;
  }
  if (opt_.post) opt_.post(std::move(fn));
  else fn();
}

void Engine::FlushOutbox() {
  if (outbox_.empty()) return;
  auto batch = std::make_shared<std::vector<std::function<void()>>>(std::move(outbox_));
  outbox_.clear();
  auto run_all = [batch] {
    for (auto& fn : *batch) {
      try {
        fn();
      } catch (const std::exception& e) {  // a broken answer must not drop the others
        spdlog::error("an answer failed: {}", e.what());
      }
    }
  };
  if (opt_.post) opt_.post(std::move(run_all));
  else run_all();
}

double Engine::Unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void Engine::Push(Op op) {
  bool refused = false, wake = false, run_here = false;
  {
    std::lock_guard lk(mu_);
    if (running_ && !stopping_) {
      queue_.push_back(std::move(op));
      queued_.store(queue_.size(), std::memory_order_release);
      // Someone was already told (the engine thread, or a queued RunQueuedHere).
      if (queue_.size() > 1 || run_here_pending_) return;
      if (opt_.run_later && t_running != this && EngineIdle()) run_here = run_here_pending_ = true;
      else wake = true;
    } else {
      refused = true;
    }
  }
  if (refused) {  // answered outside the lock: the callback may call the engine
    op.abort(Status::Unavailable("cronq is shutting down"));
    return;
  }
  if (run_here && !opt_.run_later([this] { RunQueuedHere(); })) {  // not a thread that can
    std::lock_guard lk(mu_);
    run_here_pending_ = false;
    wake = true;
  }
  if (wake) cv_.notify_one();
}

bool Engine::EngineIdle() const {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  return now - last_batch_end_ns_.load(std::memory_order_relaxed) >
         std::chrono::duration_cast<std::chrono::nanoseconds>(opt_.run_later_idle).count();
}

void Engine::TakeQueued(std::vector<Op>& ops) {
  if (queue_.size() <= opt_.max_ops_per_batch) {
    ops.swap(queue_);
  } else {
    auto mid = queue_.begin() + static_cast<std::ptrdiff_t>(opt_.max_ops_per_batch);
    std::move(queue_.begin(), mid, std::back_inserter(ops));
    queue_.erase(queue_.begin(), mid);
  }
  queued_.store(queue_.size(), std::memory_order_release);
}

void Engine::RunQueuedHere() {
  std::unique_lock run(run_mu_, std::try_to_lock);
  std::vector<Op> ops;
  bool left = false;
  {
    std::lock_guard lk(mu_);
    run_here_pending_ = false;
    // A batch is running (the engine thread takes the queue when it ends), or
    // the engine is stopping (its thread runs what is queued before it exits).
    if (!run.owns_lock() || stopping_ || !running_) left = !queue_.empty();
    else TakeQueued(ops);
  }
  if (ops.empty()) {  // nothing here (the engine thread took it), or left to the engine thread
    if (left) cv_.notify_one();
    return;
  }
  {
    RunningHere here(this);
    RunBatch(ops);
  }
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    // Work left over, or timer work due before the engine thread plans to wake.
    wake = !queue_.empty() || (planned_wake_ != 0 && WakeAt(clock_.Now()) < planned_wake_);
  }
  run.unlock();
  if (wake) cv_.notify_one();
}

TimeMs Engine::WakeAt(TimeMs now) const {
  const WakePlan& p = plan_;
  Deadlines d = p.deadlines;
  if (p.next_waiter && (!d.next_waiter || *p.next_waiter < *d.next_waiter)) d.next_waiter = p.next_waiter;
  // Unknown deadlines (the store failed to answer): look again shortly.
  TimeMs wake = p.known ? NextWake(d, now) : now + 100;
  // A shared store: other replicas add work and deadlines this engine is not told about.
  if (opt_.shared_refresh > 0) wake = std::min(wake, p.last_batch + opt_.shared_refresh);
  if (opt_.shared_poll > 0 && p.has_waiters) wake = std::min(wake, p.last_poll + opt_.shared_poll);
  // While commits keep failing (disk full...), retry timer work with backoff
  // instead of spinning; new operations still wake the engine at once.
  if (!p.healthy) wake = std::max(wake, p.last_failure + p.failure_backoff);
  return wake;
}

void Engine::UpdateWakePlan() {
  WakePlan& p = plan_;
  p.deadlines = WakeDeadlines();  // schedules claimed ahead wake the engine at due - lead
  p.known = deadlines_known_;
  p.next_waiter.reset();
  p.has_waiters = !waiters_.empty();
  for (const auto& [q, ws] : waiters_)
    for (const Waiter& w : ws)
      if (!p.next_waiter || w.deadline < *p.next_waiter) p.next_waiter = w.deadline;
  p.last_batch = last_batch_;
  p.last_poll = last_poll_;
  p.last_failure = last_failure_;
  p.failure_backoff = failure_backoff_;
  p.healthy = healthy_;
}

// ---- the engine thread --------------------------------------------------------

void Engine::Loop() {
  t_engine_thread = this;
  std::vector<Op> ops;
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + opt_.spin;
    while (queued_.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < spin_until) {
    }
    {
      std::unique_lock lk(mu_);
      for (;;) {
        if (!queue_.empty() || stopping_ || poked_) break;
        const TimeMs now = clock_.Now();
        const TimeMs wake = WakeAt(now);
        if (wake <= now) break;
        planned_wake_ = wake;
        // Until the deadline's instant itself: a whole-millisecond wait would
        // end up to 1 ms after it (a delayed job's due instant, a schedule slot).
        cv_.wait_for(lk, std::chrono::microseconds(std::max<int64_t>(1, clock_.MicrosUntil(wake))));
        planned_wake_ = 0;
      }
      poked_ = false;
      TakeQueued(ops);
      if (stopping_ && ops.empty()) break;
    }
    std::lock_guard run(run_mu_);
    RunningHere here(this);
    RunBatch(ops);
    ops.clear();
  }
  std::lock_guard run(run_mu_);
  RunningHere here(this);
  ExpireWaiters(clock_.Now(), /*all=*/true);
  FlushOutbox();
}

void Engine::RunBatch(std::vector<Op>& ops) {
  const TimeMs now = clock_.Now();
  last_batch_ = now;
  Batch b;
  b.replies.reserve(ops.size());
  Status st = store_.Begin();
  if (!st.ok()) {
    for (Op& op : ops) op.abort(st);
  } else {
    int promoted = 0;
    // When delayed jobs fall due, parked fetches lease them (a fetch takes due
    // delayed jobs as waiting ones) in a batch of their own, before the due pass
    // spends its time promoting them. The due pass, and claiming ahead, then wait
    // kDueSettle, so that the engine thread does not compete for the cores with
    // the sending of those answers; no job waits for it.
    const bool serve_first = deadlines_known_ && deadlines_.next_delayed && *deadlines_.next_delayed <= now &&
                             !waiters_.empty() && served_due_ != *deadlines_.next_delayed;
    const bool settling = !serve_first && now < SettleEnd();
    if (serve_first) {
      served_due_ = *deadlines_.next_delayed;
      for (const auto& [q, ws] : waiters_) b.woken.insert(q);
    } else if (settling) {
      // the due pass waits (WakeDeadlines wakes the engine when the settle ends)
    } else if (!deadlines_known_ || StoreWorkDue(deadlines_, now)) {
      Result<DueWork> due = store_.RunDue(now, Unit());
      if (due.ok()) {
        promoted = due->promoted;
        b.woken.insert(due->woken_queues.begin(), due->woken_queues.end());
        for (AttemptEnd& e : due->ended) b.ended.push_back(std::move(e));
      } else {
        spdlog::error("due pass failed: {}", due.status().ToString());
      }
    }
    // Claiming ahead yields to due jobs: a batch that served them or made them
    // due now commits without it (the next batch follows at once), unless the
    // earliest slot to claim is less than half the lead away.
    const Millis lead = opt_.schedule_lead;
    const std::optional<TimeMs> ahead = deadlines_.next_schedule_ahead;
    const bool yield = serve_first || settling || promoted > 0;
    const bool ahead_due = lead > 0 && ahead && *ahead - lead <= now && (!yield || *ahead - now <= lead / 2);
    const bool sched_due = deadlines_.next_schedule && *deadlines_.next_schedule <= now;
    if (!deadlines_known_ || sched_due || ahead_due) {
      FireSchedules(store_, now, ahead_due || (!deadlines_known_ && !yield) ? now + lead : now, b);
    }
    for (Op& op : ops) {
      if (Reply r = op.run(store_, now, b)) b.replies.push_back(std::move(r));
    }
    if (opt_.shared_poll > 0 && now >= last_poll_ + opt_.shared_poll) {  // jobs from other replicas
      last_poll_ = now;
      for (const auto& [q, ws] : waiters_) b.woken.insert(q);
    }
    const size_t op_replies = b.replies.size();
    ServeWaiters(store_, now, b);
    if (b.fatal.ok()) {
      st = store_.Commit();
    } else {  // an operation could not finish what it had begun: nothing of the batch stays
      store_.Rollback();
      st = b.fatal;
    }
    // Parked fetches first: a worker has been waiting for these jobs, while the
    // producers' acknowledgements can follow (answers go out in this order).
    for (size_t i = op_replies; i < b.replies.size(); ++i) b.replies[i](st);
    for (size_t i = 0; i < op_replies; ++i) b.replies[i](st);
  }
  if (st.ok() && opt_.log_jobs) {
    for (const Lease& l : b.started) LogStart(l);
    for (const AttemptEnd& e : b.ended) LogEnd(e);
  }
  if (st.ok()) {
    for (const SlotRecord& r : b.slots) {
      spdlog::info("event=schedule.slot schedule={} due={} status={} lateness_ms={} job={}{}{}{}", r.schedule,
                   FireId(r.schedule, r.due_at).substr(r.schedule.size() + 1), SlotStatusName(r.status),
                   r.handled_at - r.due_at, r.job_id.empty() ? "-" : r.job_id,
                   r.claimed_at < r.handled_at ? " ahead_ms=" + std::to_string(r.handled_at - r.claimed_at) : "",
                   r.note.empty() ? "" : " note=", r.note.empty() ? "" : spdlog::fmt_lib::format("{:?}", r.note));
    }
  }
  if (!st.ok()) {
    spdlog::error("storage batch failed; its {} operations were answered with an error: {}", ops.size(),
                  st.ToString());
  }
  metrics_.RecordBatch(st.ok());
  if (st.ok()) {
    metrics_.Record(now, b.enqueued, b.started, b.ended, b.slots);
    if (!b.fetchers.empty()) metrics_.RecordWorkers(now, b.fetchers);
    if (opt_.on_batch && (b.changed || !b.enqueued.empty() || !b.started.empty() || !b.ended.empty() ||
                          !b.slots.empty())) {
      opt_.on_batch(BatchReport{now, b.enqueued, b.started, b.ended, b.slots, b.changed});
    }
  }
  if (st.ok()) {
    failure_backoff_ = 0;
  } else {
    last_failure_ = now;
    failure_backoff_ = std::min<Millis>(failure_backoff_ ? failure_backoff_ * 2 : 100, 5'000);
  }
  {
    std::lock_guard lk(mu_);
    stats_.batches++;
    stats_.ops += ops.size();
    if (!st.ok()) stats_.commit_failures++;
    healthy_ = st.ok();
    size_t parked = 0;
    for (const auto& [q, ws] : waiters_) parked += ws.size();
    stats_.parked_fetches = parked;
    if (st.ok()) {
      for (const SlotRecord& r : b.slots) {
        if (r.status == SlotStatus::kFired) stats_.slots_fired++;
        else if (r.status == SlotStatus::kMissed) stats_.slots_missed++;
        else stats_.slots_skipped++;
      }
    }
  }
  // The answers leave before the deadline read: nothing in them depends on it.
  FlushOutbox();
  Result<Deadlines> d = store_.NextDeadlines();
  deadlines_known_ = d.ok();
  if (d.ok()) deadlines_ = *d;
  ExpireWaiters(now, /*all=*/false);
  bool soon = false;
  {
    std::lock_guard lk(mu_);
    UpdateWakePlan();
    const TimeMs t = clock_.Now();
    soon = WakeAt(t) <= t + kHousekeepMargin;
  }
  last_batch_end_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count(),
                           std::memory_order_relaxed);
  FlushOutbox();
  // The store's upkeep (SQLite's WAL checkpoint) once the answers are out, and
  // only what cannot wait when a deadline is close: it would delay the work due.
  // An HTTP thread that ran this batch (run_later) writes its answers only after
  // returning, so it hands the upkeep to the engine thread instead.
  if (t_engine_thread == this) store_.Housekeep(soon);
  else if (store_.HousekeepingDue(soon)) Poke();
}

TimeMs Engine::SettleEnd() const {
  const bool served = served_due_ != 0 && deadlines_.next_delayed && *deadlines_.next_delayed == served_due_;
  return served ? served_due_ + kDueSettle : 0;
}

Deadlines Engine::WakeDeadlines() const {
  Deadlines d = deadlines_;
  if (const TimeMs settle_end = SettleEnd()) {  // the due pass and claims ahead wait for it
    d.next_delayed = settle_end;
    if (d.next_schedule_ahead && *d.next_schedule_ahead - opt_.schedule_lead < settle_end)
      d.next_schedule_ahead = settle_end + opt_.schedule_lead;
  }
  if (opt_.schedule_lead > 0 && d.next_schedule_ahead) {
    const TimeMs claim_at = *d.next_schedule_ahead - opt_.schedule_lead;
    if (!d.next_schedule || claim_at < *d.next_schedule) d.next_schedule = claim_at;
  }
  return d;
}

// Hands newly waiting jobs to parked fetches, oldest fetch first, inside the
// batch; they are answered after the commit like every other operation.
void Engine::ServeWaiters(Store& s, TimeMs now, Batch& b) {
  for (const std::string& queue : b.woken) {
    auto it = waiters_.find(queue);
    if (it == waiters_.end()) continue;
    std::deque<Waiter>& ws = it->second;
    while (!ws.empty()) {
      if (ws.front().Gone()) {  // its client left: no job for it
        auto cb = std::make_shared<Callback<std::vector<Lease>>>(std::move(ws.front().cb));
        Deliver([cb] { (*cb)(std::vector<Lease>{}); });
        ws.pop_front();
        continue;
      }
      Result<std::vector<Lease>> r = s.LeaseNext(ws.front().spec, now);
      if (r.ok() && r->empty()) break;
      AnswerFrontWaiter(ws, std::move(r), b);
    }
    if (ws.empty()) waiters_.erase(it);
  }
}

void Engine::AnswerFrontWaiter(std::deque<Waiter>& ws, Result<std::vector<Lease>> r, Batch& b) {
  if (r.ok()) b.started.insert(b.started.end(), r->begin(), r->end());
  auto cb = std::make_shared<Callback<std::vector<Lease>>>(std::move(ws.front().cb));
  auto res = std::make_shared<Result<std::vector<Lease>>>(std::move(r));
  ws.pop_front();
  b.replies.push_back([this, cb, res](const Status& commit) {
    Deliver([cb, res, commit] {
      if (!commit.ok()) (*cb)(commit);
      else (*cb)(std::move(*res));
    });
  });
}

void Engine::ExpireWaiters(TimeMs now, bool all) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    std::deque<Waiter>& ws = it->second;
    for (auto w = ws.begin(); w != ws.end();) {
      if (all || w->deadline <= now || w->Gone()) {
        auto cb = std::make_shared<Callback<std::vector<Lease>>>(std::move(w->cb));
        Deliver([cb] { (*cb)(std::vector<Lease>{}); });
        w = ws.erase(w);
      } else {
        ++w;
      }
    }
    it = ws.empty() ? waiters_.erase(it) : std::next(it);
  }
}

}  // namespace cronq
