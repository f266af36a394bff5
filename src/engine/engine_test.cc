// Engine tests on a real SQLite file, driven by a manual clock.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <future>
#include <thread>

#include "storage/forwarding_store.h"
#include "storage/sqlite_store.h"
#include "support/engine_call.h"
#include "support/temp_dir.h"

namespace cronq {
namespace {

using testing::TempDir;

// Calls an engine method with a callback and waits for its answer.
using testing::Call;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (engine_) engine_->Stop();
  }
  void Open(Store* wrap = nullptr) {
    if (engine_) engine_->Stop();
    engine_.reset();
    store_.reset();
    store_ = std::move(OpenSqliteStore(SqliteOptions{dir_.File("cronq.db"), true, 8192})).value();
    StartEngine(wrap ? *wrap : *store_);
  }
  // (Re)starts the engine on `s`: store_ itself, or a wrapper of it that counts calls.
  void StartEngine(Store& s) {
    if (engine_) engine_->Stop();
    engine_ = std::make_unique<Engine>(s, clock_, EngineOptions{{}, 2048, false});
    engine_->Start();
  }
  Result<std::vector<EnqueueResult>> Add(const std::string& q, std::vector<NewJob> jobs) {
    return Call<std::vector<EnqueueResult>>([&](auto cb) { engine_->Enqueue(q, std::move(jobs), cb); });
  }
  Result<std::vector<Lease>> Fetch(const std::string& q, int max = 1, Millis wait = 0) {
    return Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{q, max, 30'000, "t"}, wait, cb); });
  }
  // Starts a fetch that may park; its answer arrives through the future.
  std::future<Result<std::vector<Lease>>> FetchLater(const std::string& q, int max, Millis wait) {
    auto p = std::make_shared<std::promise<Result<std::vector<Lease>>>>();
    auto f = p->get_future();
    engine_->Fetch(FetchSpec{q, max, 30'000, "t"}, wait, [p](auto r) { p->set_value(std::move(r)); });
    return f;
  }

  TempDir dir_;
  ManualClock clock_{1'750'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
};

NewJob J(std::string name = "job", JobOptions o = {}) { return NewJob{std::move(name), "{}", o}; }

TEST_F(EngineTest, EnqueueFetchComplete) {
  auto added = Add("q", {J("a"), J("b")});
  ASSERT_TRUE(added.ok());
  ASSERT_EQ(added->size(), 2u);
  auto leases = Fetch("q", 5);
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 2u);
  auto done = Call<AttemptEnd>([&](auto cb) {
    const Lease& l = (*leases)[0];
    engine_->Complete(CompleteSpec{"q", l.id, l.token, "1"}, cb);
  });
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  auto stale = Call<AttemptEnd>([&](auto cb) {
    const Lease& l = (*leases)[0];
    engine_->Complete(CompleteSpec{"q", l.id, l.token, "1"}, cb);
  });
  EXPECT_TRUE(stale.status().IsConflict());
}

TEST_F(EngineTest, ConcurrentWritesShareCommits) {
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&] {
      std::vector<std::future<void>> pending;
      std::atomic<int> left{kPerThread};
      std::promise<void> all;
      for (int i = 0; i < kPerThread; ++i) {
        engine_->Enqueue("q", {J()}, [&](Result<std::vector<EnqueueResult>> r) {
          if (r.ok()) ok++;
          if (--left == 0) all.set_value();
        });
      }
      all.get_future().wait();
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EngineStats st = engine_->stats();
  EXPECT_LT(st.batches, static_cast<uint64_t>(kThreads * kPerThread) / 4) << "writes were not grouped";
  auto q = Call<QueueInfo>([&](auto cb) { engine_->GetQueue("q", cb); });
  EXPECT_EQ(q->counts[0], kThreads * kPerThread);
}

TEST_F(EngineTest, ParkedFetchIsAnsweredByTheNextEnqueue) {
  auto f = FetchLater("q", 10, 20'000);
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ASSERT_TRUE(Add("q", {J("hello")}).ok());
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "hello");
}

// The enqueue that serves a parked fetch is answered after that fetch: the worker
// has been waiting for the job, the producer only for its acknowledgement.
TEST_F(EngineTest, ParkedFetchIsAnsweredBeforeTheEnqueueThatServedIt) {
  std::mutex mu;
  std::vector<std::string> order;
  std::promise<void> both;
  auto note = [&](const std::string& who) {
    std::lock_guard lk(mu);
    order.push_back(who);
    if (order.size() == 2) both.set_value();
  };
  engine_->Fetch(FetchSpec{"q", 1, 30'000, "t"}, 20'000, [&](Result<std::vector<Lease>> r) {
    EXPECT_TRUE(r.ok() && r->size() == 1);
    note("fetch");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // parked
  engine_->Enqueue("q", {J("hello")}, [&](Result<std::vector<EnqueueResult>> r) {
    EXPECT_TRUE(r.ok());
    note("enqueue");
  });
  ASSERT_EQ(both.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<std::string>{"fetch", "enqueue"}));
}

// Counts the store calls that lease.
class LeaseCalls : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<std::vector<Lease>> LeaseNext(const FetchSpec& s, TimeMs now) override {
    lease_next++;
    return ForwardingStore::LeaseNext(s, now);
  }
  Result<EnqueuedAndLeased> EnqueueThenLease(std::string_view q, const std::vector<NewJob>& jobs, TimeMs now,
                                             const FetchSpec& then) override {
    enqueue_then_lease++;
    return ForwardingStore::EnqueueThenLease(q, jobs, now, then);
  }
  std::atomic<int> lease_next{0}, enqueue_then_lease{0};
};

// A parked fetch is served by the enqueue's own store step (one Redis round trip),
// not by a lease after it; a delayed job does not wake it.
TEST_F(EngineTest, AnEnqueueLeasesForTheParkedFetchInTheSameStep) {
  LeaseCalls calls(store_.get());
  StartEngine(calls);
  auto f = FetchLater("q", 1, 20'000);
  for (int i = 0; i < 100 && calls.lease_next == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(calls.lease_next, 1);  // the fetch found nothing and parked
  JobOptions later;
  later.delay = 60'000;
  ASSERT_TRUE(Add("q", {J("later", later)}).ok());
  EXPECT_EQ(calls.enqueue_then_lease, 0);
  ASSERT_TRUE(Add("q", {J("now")}).ok());
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "now");
  EXPECT_EQ(calls.enqueue_then_lease, 1);
  EXPECT_EQ(calls.lease_next, 1) << "the parked fetch was served by a separate lease";
  engine_->Stop();  // before `calls` goes
}

// Counts commits, to tell how many batches an operation took.
class CommitCalls : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status Commit() override {
    commits++;
    return ForwardingStore::Commit();
  }
  std::atomic<int> commits{0};
};

// A worker's "these are done, give me more": the acknowledgements and the next
// leases in one operation and one commit. A stale token fails its own entry only,
// and an empty queue answers at once with no jobs instead of waiting.
TEST_F(EngineTest, AckThenFetchAcksAndLeasesTheNextJobsInOneCommit) {
  CommitCalls calls(store_.get());
  StartEngine(calls);
  ASSERT_TRUE(Add("q", {J("a"), J("b"), J("c")}).ok());
  auto first = Fetch("q", 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  const Lease a = (*first)[0];
  const int before = calls.commits;
  auto r = Call<AckAndLeases>([&](auto cb) {
    engine_->AckThenFetch({CompleteSpec{"q", a.id, a.token, "1"}, CompleteSpec{"q", a.id, "9.stale", "2"}}, {},
                          FetchSpec{"q", 5, 30'000, "t"}, cb);
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls.commits - before, 1);
  ASSERT_EQ(r->acks.complete.size(), 2u);
  EXPECT_TRUE(r->acks.complete[0].ok()) << r->acks.complete[0].ToString();
  EXPECT_TRUE(r->acks.complete[1].IsConflict());
  ASSERT_EQ(r->leases.size(), 2u);
  EXPECT_EQ(r->leases[0].name, "b");
  EXPECT_EQ(r->leases[1].name, "c");
  auto job = Call<Job>([&](auto cb) { engine_->GetJob("q", a.id, cb); });
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kCompleted);

  // The queue is empty now: the answer comes at once, with the acks and no jobs.
  std::vector<FailSpec> fail{FailSpec{"q", r->leases[1].id, r->leases[1].token, "boom", "", true}};
  auto last = Call<AckAndLeases>([&](auto cb) {
    engine_->AckThenFetch({CompleteSpec{"q", r->leases[0].id, r->leases[0].token, "2"}}, std::move(fail),
                          FetchSpec{"q", 5, 30'000, "t"}, cb);
  });
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_EQ(last->acks.complete.size(), 1u);
  EXPECT_TRUE(last->acks.complete[0].ok());
  ASSERT_EQ(last->acks.fail.size(), 1u);
  EXPECT_TRUE(last->acks.fail[0].ok()) << last->acks.fail[0].ToString();
  EXPECT_TRUE(last->leases.empty());
  engine_->Stop();  // before `calls` goes
}

TEST_F(EngineTest, ParkedFetchEndsEmptyWhenItsWaitRunsOut) {
  auto f = FetchLater("q", 1, 5'000);
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  clock_.Advance(5'000);
  engine_->Poke();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST_F(EngineTest, DelayedJobReachesAParkedWorkerWhenDue) {
  JobOptions o;
  o.delay = 3'000;
  ASSERT_TRUE(Add("q", {J("later", o)}).ok());
  auto f = FetchLater("q", 1, 30'000);
  clock_.Advance(2'999);
  engine_->Poke();
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  clock_.Advance(1);
  engine_->Poke();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = f.get();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "later");
}

// Counts what the due pass promotes, and how much it had promoted when queue
// "q" first leased a job.
class DuePassWatch : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<DueWork> RunDue(TimeMs now, double unit) override {
    auto r = ForwardingStore::RunDue(now, unit);
    if (r.ok()) promoted += r->promoted;
    return r;
  }
  Result<std::vector<Lease>> LeaseNext(const FetchSpec& s, TimeMs now) override {
    auto r = ForwardingStore::LeaseNext(s, now);
    if (r.ok() && !r->empty() && s.queue == "q" && promoted_before_q < 0) promoted_before_q = promoted.load();
    return r;
  }
  std::atomic<int> promoted{0}, promoted_before_q{-1};
};

// When thousands of delayed jobs fall due together, a worker parked on one queue
// gets its due job before the due pass has promoted any of them (promotion
// commits in chunks; lazily leasing due jobs means nobody waits for them).
TEST_F(EngineTest, ParkedFetchGetsItsDueJobBeforeTheDuePassPromotes) {
  DuePassWatch watch(store_.get());
  StartEngine(watch);
  JobOptions o;
  o.delay = 3'000;
  std::vector<NewJob> bulk(2'500, J("bulk", o));
  ASSERT_TRUE(Add("bulk", bulk).ok());
  ASSERT_TRUE(Add("q", {J("mine", o)}).ok());
  auto f = FetchLater("q", 1, 30'000);
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  clock_.Advance(3'000);
  engine_->Poke();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "mine");
  EXPECT_EQ(watch.promoted_before_q.load(), 0) << "the parked fetch waited for the due pass";
  // The due pass waits kDueSettle after that (the answers go out meanwhile),
  // then promotes the rest in chunks that follow at once.
  auto bulk_counts = [&] { return Call<QueueInfo>([&](auto cb) { engine_->GetQueue("bulk", cb); })->counts; };
  clock_.Advance(kDueSettle - 1);
  engine_->Poke();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(bulk_counts()[1], 2'500) << "promoted before the settle ended";
  EXPECT_EQ(watch.promoted.load(), 0);
  clock_.Advance(1);
  engine_->Poke();
  for (int i = 0; i < 200 && bulk_counts()[0] < 2'500; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(bulk_counts()[0], 2'500);
  EXPECT_EQ(watch.promoted.load(), 2'500);
}

TEST_F(EngineTest, ExpiredLeaseIsRequeuedByTheTimer) {
  ASSERT_TRUE(Add("q", {J()}).ok());
  auto l = Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{"q", 1, 1'000, "t"}, 0, cb); });
  ASSERT_EQ(l->size(), 1u);
  clock_.Advance(1'000);
  engine_->Poke();
  auto again = Fetch("q", 1, 10'000);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].id, (*l)[0].id);
}

TEST_F(EngineTest, StopAnswersParkedFetchesAndRefusesNewWork) {
  auto f = FetchLater("q", 1, 30'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  engine_->Stop();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(1)), std::future_status::ready);
  EXPECT_TRUE(f.get()->empty());
  auto r = Add("q", {J()});
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

// Fails exactly the Nth Commit() (1-based), after which it behaves.
class FailNthCommit : public ForwardingStore {
 public:
  FailNthCommit(Store* t, int n) : ForwardingStore(t), n_(n) {}
  Status Commit() override {
    if (++count_ == n_) {
      target()->Rollback();
      return Status::Unavailable("injected commit failure");
    }
    return ForwardingStore::Commit();
  }

 private:
  int n_, count_ = 0;
};

// A stand-in for an HTTP I/O thread: runs posted functions in order, and accepts
// run_later() only from itself, as net::HttpServer::PostHere does.
class Loop {
 public:
  Loop() : t_([this] { Run(); }) {}
  ~Loop() {
    Post(nullptr);
    t_.join();
  }
  void Post(std::function<void()> fn) {
    {
      std::lock_guard lk(mu_);
      q_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }
  bool PostHere(std::function<void()> fn) {
    if (std::this_thread::get_id() != t_.get_id()) return false;
    Post(std::move(fn));
    return true;
  }
  std::thread::id id() const { return t_.get_id(); }

 private:
  void Run() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return !q_.empty(); });
        fn = std::move(q_.front());
        q_.pop_front();
      }
      if (!fn) return;
      fn();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  std::thread t_;
};

// Records the thread of each commit and of each upkeep call; always has upkeep due.
class CommitThreads : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status Commit() override {
    std::lock_guard lk(mu_);
    threads_.push_back(std::this_thread::get_id());
    return ForwardingStore::Commit();
  }
  bool HousekeepingDue(bool) const override { return true; }
  void Housekeep(bool soon) override {
    std::lock_guard lk(mu_);
    upkeep_.push_back(std::this_thread::get_id());
    ForwardingStore::Housekeep(soon);
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard lk(mu_);
    return threads_;
  }
  std::vector<std::thread::id> upkeep() {
    std::lock_guard lk(mu_);
    return upkeep_;
  }

 private:
  std::mutex mu_;
  std::vector<std::thread::id> threads_, upkeep_;
};

// With run_later, an operation submitted on an idle engine runs its batch on the
// submitting thread; answers, parked fetches and timers still work, and the
// engine thread's timer still fires for deadlines such a batch created.
TEST(EngineRunLater, RunsIdleBatchesOnTheSubmittingThread) {
  TempDir dir;
  SystemClock clock;
  auto store = std::move(OpenSqliteStore(SqliteOptions{dir.File("cronq.db"), true, 8192})).value();
  CommitThreads recording(store.get());
  Loop io;
  EngineOptions opt{{}, 2048, false};
  opt.post = [&io](std::function<void()> fn) { io.Post(std::move(fn)); };
  opt.run_later = [&io](std::function<void()> fn) { return io.PostHere(std::move(fn)); };
  opt.run_later_idle = std::chrono::microseconds(0);
  Engine engine(recording, clock, opt);
  engine.Start();
  // Calls an engine method from the loop thread and waits for its answer.
  auto on_io = [&io]<typename T>(std::function<void(Callback<T>)> call) {
    std::promise<Result<T>> p;
    io.Post([&] { call([&p](Result<T> r) { p.set_value(std::move(r)); }); });
    return p.get_future().get();
  };
  // Let the engine thread go idle: past its first look at the store (it polls
  // every 100 ms until it knows the deadlines), asleep with nothing due.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The engine thread may be busy at that instant on a loaded machine (then it
  // takes the operation itself): a few tries, at least one runs on the loop.
  bool ran_here = false;
  for (int i = 0; i < 20 && !ran_here; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const size_t before = recording.threads().size();
    auto added = on_io(std::function<void(Callback<std::vector<EnqueueResult>>)>(
        [&](auto cb) { engine.Enqueue("q", {J("a")}, cb); }));
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    auto commits = recording.threads();
    for (size_t k = before; k < commits.size(); ++k) ran_here = ran_here || commits[k] == io.id();
  }
  EXPECT_TRUE(ran_here) << "an idle engine's batch should run on the submitting thread";
  // Its upkeep went to the engine thread: the loop thread sends its answers only
  // once the batch returns, so upkeep there would hold them back.
  for (int i = 0; i < 100 && recording.upkeep().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(recording.upkeep().empty()) << "no upkeep after batches that had it due";
  for (std::thread::id t : recording.upkeep()) EXPECT_NE(t, io.id()) << "upkeep ran on the submitting thread";
  // The engine thread now knows the deadlines (none): it sleeps for a long time.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));

  // A fetch parked by a batch on the loop thread is served by a later enqueue.
  std::promise<Result<std::vector<Lease>>> parked;
  io.Post([&] {
    engine.Fetch(FetchSpec{"q2", 1, 30'000, "t"}, 10'000,
                 [&parked](Result<std::vector<Lease>> r) { parked.set_value(std::move(r)); });
  });
  auto fut = parked.get_future();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(fut.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout) << "the fetch should be parked";
  // A delayed job enqueued from the loop thread: the engine thread must wake for
  // it (its sleep was planned before this batch made the deadline).
  JobOptions later;
  later.delay = 300;
  auto delayed = on_io(std::function<void(Callback<std::vector<EnqueueResult>>)>(
      [&](auto cb) { engine.Enqueue("q2", {J("later", later)}, cb); }));
  ASSERT_TRUE(delayed.ok());
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(8)), std::future_status::ready)
      << "the delayed job was not promoted to the parked fetch";
  auto got = fut.get();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].name, "later");
  engine.Stop();
}

// The fault matrix: for every N, fail commit N during a run of enqueues and
// acknowledgements, reopen the file, and check that every acknowledged enqueue
// is there and no acknowledged completion was undone.
TEST(EngineFaults, NoAcknowledgedWriteIsLostWhenCommitNFails) {
  for (int n = 1; n <= 12; ++n) {
    SCOPED_TRACE("failing commit " + std::to_string(n));
    TempDir dir;
    ManualClock clock;
    std::vector<std::string> acked_ids, completed_ids;
    {
      auto store = std::move(OpenSqliteStore(SqliteOptions{dir.File("cronq.db"), true, 8192})).value();
      FailNthCommit faulty(store.get(), n);
      Engine engine(faulty, clock, EngineOptions{{}, 1, false});  // one op per batch: N is exact
      engine.Start();
      for (int i = 0; i < 6; ++i) {
        auto r = Call<std::vector<EnqueueResult>>([&](auto cb) { engine.Enqueue("q", {J()}, cb); });
        if (r.ok()) acked_ids.push_back((*r)[0].id);
        auto l = Call<std::vector<Lease>>([&](auto cb) { engine.Fetch(FetchSpec{"q", 1, 60'000, "t"}, 0, cb); });
        if (!l.ok() || l->empty()) continue;
        const Lease& lease = (*l)[0];
        auto c = Call<AttemptEnd>([&](auto cb) { engine.Complete(CompleteSpec{"q", lease.id, lease.token, "1"}, cb); });
        if (c.ok()) completed_ids.push_back(lease.id);
      }
      engine.Stop();
    }
    auto store = std::move(OpenSqliteStore(SqliteOptions{dir.File("cronq.db"), true, 8192})).value();
    ASSERT_TRUE(store->Begin().ok());
    for (const std::string& id : acked_ids) {
      auto j = store->GetJob("q", id);
      EXPECT_TRUE(j.ok()) << "acknowledged job " << id << " lost";
    }
    for (const std::string& id : completed_ids) {
      auto j = store->GetJob("q", id);
      ASSERT_TRUE(j.ok());
      EXPECT_EQ(j->state, JobState::kCompleted) << "acknowledged completion of " << id << " undone";
      EXPECT_EQ(j->attempts_made, 1) << "completed twice";
    }
    auto q = store->GetQueue("q");
    ASSERT_TRUE(q.ok());
    int64_t total = 0;
    for (int64_t c : q->counts) total += c;
    EXPECT_GE(total, static_cast<int64_t>(acked_ids.size()));
    EXPECT_EQ(q->counts[static_cast<int>(JobState::kCompleted)], static_cast<int64_t>(completed_ids.size()));
    store->Rollback();
  }
}

}  // namespace
}  // namespace cronq
