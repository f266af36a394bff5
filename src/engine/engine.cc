#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace cronq {


Engine::Engine(Store& store, Clock& clock, EngineOptions options)
    : store_(store), clock_(clock), opt_(std::move(options)) {}

Engine::~Engine() { Stop(); }

void Engine::Start() {
  std::lock_guard lk(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] {
    engine_thread_id_.store(std::this_thread::get_id());
    Loop();
  });
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
  if (std::this_thread::get_id() == engine_thread_id_.load()) {
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
  bool refused = false;
  {
    std::lock_guard lk(mu_);
    if (running_ && !stopping_) {
      queue_.push_back(std::move(op));
      queued_.store(queue_.size(), std::memory_order_release);
      if (queue_.size() > 1) return;  // the engine was already told
    } else {
      refused = true;
    }
  }
  if (refused) {  // answered outside the lock: the callback may call the engine
    op.abort(Status::Unavailable("cronq is shutting down"));
    return;
  }
  cv_.notify_one();
}

// ---- the engine thread --------------------------------------------------------

void Engine::Loop() {
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
        Deadlines d = deadlines_;
        for (const auto& [q, ws] : waiters_)
          for (const Waiter& w : ws)
            if (!d.next_waiter || w.deadline < *d.next_waiter) d.next_waiter = w.deadline;
        // Unknown deadlines (the store failed to answer): look again shortly.
        TimeMs wake = deadlines_known_ ? NextWake(d, now) : now + 100;
        // While commits keep failing (disk full...), retry timer work with backoff
        // instead of spinning; new operations still wake the engine at once.
        // A shared store: other replicas add work and deadlines this engine is not told about.
        if (opt_.shared_refresh > 0) wake = std::min(wake, last_batch_ + opt_.shared_refresh);
        if (opt_.shared_poll > 0 && !waiters_.empty()) wake = std::min(wake, last_poll_ + opt_.shared_poll);
        if (!healthy_) wake = std::max(wake, last_failure_ + failure_backoff_);
        if (wake <= now) break;
        cv_.wait_for(lk, std::chrono::milliseconds(wake - now));
      }
      poked_ = false;
      if (queue_.size() <= opt_.max_ops_per_batch) {
        ops.swap(queue_);
      } else {
        auto mid = queue_.begin() + static_cast<std::ptrdiff_t>(opt_.max_ops_per_batch);
        std::move(queue_.begin(), mid, std::back_inserter(ops));
        queue_.erase(queue_.begin(), mid);
      }
      queued_.store(queue_.size(), std::memory_order_release);
      if (stopping_ && ops.empty()) break;
    }
    RunBatch(ops);
    ops.clear();
  }
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
    if (!deadlines_known_ || StoreWorkDue(deadlines_, now)) {
      Result<DueWork> due = store_.RunDue(now, Unit());
      if (due.ok()) {
        b.woken.insert(due->woken_queues.begin(), due->woken_queues.end());
        for (AttemptEnd& e : due->ended) b.ended.push_back(std::move(e));
      } else {
        spdlog::error("due pass failed: {}", due.status().ToString());
      }
    }
    if (!deadlines_known_ || (deadlines_.next_schedule && *deadlines_.next_schedule <= now)) {
      FireSchedules(store_, now, b);
    }
    for (Op& op : ops) {
      if (Reply r = op.run(store_, now, b)) b.replies.push_back(std::move(r));
    }
    if (opt_.shared_poll > 0 && now >= last_poll_ + opt_.shared_poll) {  // jobs from other replicas
      last_poll_ = now;
      for (const auto& [q, ws] : waiters_) b.woken.insert(q);
    }
    ServeWaiters(store_, now, b);
    if (b.fatal.ok()) {
      st = store_.Commit();
    } else {  // an operation could not finish what it had begun: nothing of the batch stays
      store_.Rollback();
      st = b.fatal;
    }
    for (auto& r : b.replies) r(st);
  }
  if (st.ok() && opt_.log_jobs) {
    for (const Lease& l : b.started) LogStart(l);
    for (const AttemptEnd& e : b.ended) LogEnd(e);
  }
  if (st.ok()) {
    for (const SlotRecord& r : b.slots) {
      spdlog::info("event=schedule.slot schedule={} due={} status={} lateness_ms={} job={}{}{}", r.schedule,
                   FireId(r.schedule, r.due_at).substr(r.schedule.size() + 1), SlotStatusName(r.status),
                   r.handled_at - r.due_at, r.job_id.empty() ? "-" : r.job_id, r.note.empty() ? "" : " note=",
                   r.note.empty() ? "" : spdlog::fmt_lib::format("{:?}", r.note));
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
  FlushOutbox();
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
    if (ws.empty()) waiters_.erase(it);
  }
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
