// The storage conformance suite (see store_conformance.h). Every test drives the
// Store only through its interface, one batch per step unless it tests batching.
#include "conformance/store_conformance.h"

#include "core/limits.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

constexpr TimeMs kT0 = 1'750'000'000'000;

class Conformance : public StoreConformance {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    store_ = GetParam().open(dir_.path().string());
    ASSERT_NE(store_, nullptr);
  }

  // Runs fn inside one committed batch.
  template <typename Fn>
  auto Batch(Fn fn) {
    EXPECT_TRUE(store_->Begin().ok());
    auto r = fn(*store_);
    Status st = store_->Commit();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return r;
  }

  EnqueueResult Add(const std::string& queue, const std::string& name, JobOptions opts = {}, TimeMs now = kT0) {
    NewJob j{name, "{\"n\":1}", opts};
    auto r = Batch([&](Store& s) { return s.Enqueue(queue, j, now); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : EnqueueResult{};
  }

  std::vector<Lease> Take(const std::string& queue, int max = 1, TimeMs now = kT0, Millis lock = 30'000) {
    auto r = Batch([&](Store& s) { return s.LeaseNext(FetchSpec{queue, max, lock, "w1"}, now); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Lease>{};
  }

  Result<AttemptEnd> Done(const Lease& l, TimeMs now = kT0, std::string result = "42") {
    return Batch([&](Store& s) { return s.Complete(CompleteSpec{l.queue, l.id, l.token, result}, now); });
  }

  Result<AttemptEnd> Fail(const Lease& l, TimeMs now = kT0, bool unrecoverable = false) {
    return Batch([&](Store& s) {
      FailSpec f;
      f.queue = l.queue;
      f.id = l.id;
      f.token = l.token;
      f.message = "boom";
      f.stack = "at line 1";
      f.unrecoverable = unrecoverable;
      return s.Fail(f, now, 0.0);
    });
  }

  DueWork Due(TimeMs now) {
    auto r = Batch([&](Store& s) { return s.RunDue(now, 0.0); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : DueWork{};
  }

  Job Get(const std::string& queue, const std::string& id) {
    auto r = Batch([&](Store& s) { return s.GetJob(queue, id); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Job{};
  }

  std::array<int64_t, kJobStateCount> Counts(const std::string& queue) {
    auto r = Batch([&](Store& s) { return s.GetQueue(queue); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->counts : std::array<int64_t, kJobStateCount>{};
  }

  static std::array<int64_t, kJobStateCount> C(int64_t w, int64_t d, int64_t a, int64_t c, int64_t f) {
    return {w, d, a, c, f};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(Conformance, EnqueueThenReadBack) {
  EnqueueResult r = Add("email", "welcome");
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.state, JobState::kWaiting);
  Job j = Get("email", r.id);
  EXPECT_EQ(j.id, r.id);
  EXPECT_EQ(j.queue, "email");
  EXPECT_EQ(j.name, "welcome");
  EXPECT_EQ(j.data, "{\"n\":1}");
  EXPECT_EQ(j.state, JobState::kWaiting);
  EXPECT_EQ(j.created_at, kT0);
  EXPECT_EQ(Counts("email"), C(1, 0, 0, 0, 0));
}

TEST_P(Conformance, UnknownJobsAndQueuesAreNotFound) {
  Add("email", "x");
  auto r = Batch([](Store& s) { return s.GetJob("email", "999"); });
  EXPECT_TRUE(r.status().IsNotFound());
  r = Batch([](Store& s) { return s.GetJob("other", "1"); });
  EXPECT_TRUE(r.status().IsNotFound());
  auto q = Batch([](Store& s) { return s.GetQueue("nope"); });
  EXPECT_TRUE(q.status().IsNotFound());
}

TEST_P(Conformance, JobIdMakesAddIdempotent) {
  JobOptions o;
  o.job_id = "order-7";
  EnqueueResult a = Add("email", "first", o);
  EnqueueResult b = Add("email", "second", o);
  EXPECT_EQ(a.id, "order-7");
  EXPECT_FALSE(a.duplicate);
  EXPECT_EQ(b.id, "order-7");
  EXPECT_TRUE(b.duplicate);
  EXPECT_EQ(Get("email", "order-7").name, "first");
  EXPECT_EQ(Counts("email"), C(1, 0, 0, 0, 0));
  // The same jobId in another queue is another job.
  EXPECT_FALSE(Add("sms", "third", o).duplicate);
}

TEST_P(Conformance, DuplicateWithinOneBatchReturnsTheFirst) {
  JobOptions o;
  o.job_id = "same";
  auto rs = Batch([&](Store& s) {
    std::vector<EnqueueResult> out;
    for (int i = 0; i < 3; ++i) out.push_back(*s.Enqueue("q", NewJob{"n", "null", o}, kT0));
    return out;
  });
  EXPECT_FALSE(rs[0].duplicate);
  EXPECT_TRUE(rs[1].duplicate);
  EXPECT_TRUE(rs[2].duplicate);
  EXPECT_EQ(Counts("q")[0], 1);
}

TEST_P(Conformance, EnqueueBatchKeepsOrderAndDuplicates) {
  JobOptions same;
  same.job_id = "dup";
  JobOptions later;
  later.delay = 1000;
  std::vector<NewJob> jobs = {{"a", "1", {}}, {"b", "2", same}, {"c", "3", same}, {"d", "4", later}};
  for (int i = 0; i < 700; ++i) jobs.push_back(NewJob{"bulk", "null", {}});  // more than one pipeline chunk
  auto r = Batch([&](Store& s) { return s.EnqueueBatch("q", jobs, kT0); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), jobs.size());
  EXPECT_FALSE((*r)[1].duplicate);
  EXPECT_TRUE((*r)[2].duplicate);
  EXPECT_EQ((*r)[2].id, "dup");
  EXPECT_EQ((*r)[3].state, JobState::kDelayed);
  EXPECT_EQ(Get("q", (*r)[0].id).name, "a");
  EXPECT_EQ(Get("q", "dup").name, "b");
  EXPECT_EQ(Counts("q"), C(702, 1, 0, 0, 0));
  std::vector<Lease> first = Take("q", 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].name, "a");
  EXPECT_EQ(first[1].name, "b");
}

// What the engine does for a fetch parked on the queue: the lease follows the
// enqueue in the same step, and sees the jobs it just added.
TEST_P(Conformance, EnqueueThenLeaseLeasesWhatItAdded) {
  JobOptions later;
  later.delay = 1000;
  std::vector<NewJob> jobs = {{"a", "1", {}}, {"b", "2", later}, {"c", "3", {}}};
  auto r = Batch([&](Store& s) { return s.EnqueueThenLease("q", jobs, kT0, FetchSpec{"q", 5, 10'000, "w1"}); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->added.size(), 3u);
  EXPECT_EQ(r->added[1].state, JobState::kDelayed);
  ASSERT_TRUE(r->leased.ok()) << r->leased.status().ToString();
  ASSERT_EQ(r->leased->size(), 2u);  // not the delayed one
  EXPECT_EQ((*r->leased)[0].id, r->added[0].id);
  EXPECT_EQ((*r->leased)[1].id, r->added[2].id);
  EXPECT_EQ((*r->leased)[1].lease_expires, kT0 + 10'000);
  EXPECT_FALSE((*r->leased)[0].token.empty());
  EXPECT_EQ(Counts("q"), C(0, 1, 2, 0, 0));
  EXPECT_TRUE(Done((*r->leased)[0], kT0 + 1).ok());

  // A paused queue keeps its new job: the lease answers nothing, not an error.
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetPaused("q", true, kT0); }).ok());
  auto paused =
      Batch([&](Store& s) { return s.EnqueueThenLease("q", {{"d", "4", {}}}, kT0, FetchSpec{"q", 1, 10'000, "w1"}); });
  ASSERT_TRUE(paused.ok()) << paused.status().ToString();
  ASSERT_TRUE(paused->leased.ok());
  EXPECT_TRUE(paused->leased->empty());
  EXPECT_EQ(Get("q", paused->added[0].id).state, JobState::kWaiting);

  // Another queue's fetch leases from that queue, not from the one added to.
  Add("other", "o");
  auto elsewhere = Batch(
      [&](Store& s) { return s.EnqueueThenLease("q", {{"e", "5", {}}}, kT0, FetchSpec{"other", 1, 10'000, "w1"}); });
  ASSERT_TRUE(elsewhere.ok() && elsewhere->leased.ok());
  ASSERT_EQ(elsewhere->leased->size(), 1u);
  EXPECT_EQ((*elsewhere->leased)[0].name, "o");
}

TEST_P(Conformance, CompleteBatchAnswersEachEntry) {
  for (int i = 0; i < 3; ++i) Add("q", "x");
  std::vector<Lease> ls = Take("q", 3);
  ASSERT_EQ(ls.size(), 3u);
  std::vector<CompleteSpec> specs;
  for (const Lease& l : ls) specs.push_back(CompleteSpec{"q", l.id, l.token, "7"});
  specs[1].token = "1.0000000000000000";
  specs.push_back(CompleteSpec{"q", "999", "t", ""});
  auto rs = Batch([&](Store& s) { return s.CompleteBatch(specs, kT0 + 5); });
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_TRUE(rs[0].ok());
  EXPECT_TRUE(rs[1].status().IsConflict());
  EXPECT_TRUE(rs[2].ok());
  EXPECT_TRUE(rs[3].status().IsNotFound());
  EXPECT_EQ(rs[2]->ended_at, kT0 + 5);
  EXPECT_EQ(Get("q", ls[0].id).result, "7");
  EXPECT_EQ(Counts("q"), C(0, 0, 1, 2, 0));
}

TEST_P(Conformance, LowerPriorityFirstThenFifo) {
  JobOptions p5, p1;
  p5.priority = 5;
  p1.priority = 1;
  std::string a = Add("q", "a", p5).id, b = Add("q", "b").id, c = Add("q", "c", p1).id, d = Add("q", "d", p5).id,
              e = Add("q", "e").id;
  std::vector<std::string> order;
  for (const Lease& l : Take("q", 10)) order.push_back(l.id);
  EXPECT_EQ(order, (std::vector<std::string>{b, e, c, a, d}));
}

TEST_P(Conformance, LeaseCarriesJobAndFreshToken) {
  std::string id = Add("q", "work").id;
  std::vector<Lease> ls = Take("q", 5, kT0, 10'000);
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0].id, id);
  EXPECT_EQ(ls[0].name, "work");
  EXPECT_EQ(ls[0].data, "{\"n\":1}");
  EXPECT_EQ(ls[0].attempt, 1);
  EXPECT_EQ(ls[0].lease_expires, kT0 + 10'000);
  EXPECT_FALSE(ls[0].token.empty());
  EXPECT_TRUE(Take("q").empty());
  EXPECT_EQ(Counts("q"), C(0, 0, 1, 0, 0));
  EXPECT_EQ(Get("q", id).state, JobState::kActive);
}

TEST_P(Conformance, MaxActiveCapsTheQueuesActiveJobs) {
  for (int i = 0; i < 5; ++i) Add("q", "work");
  auto take = [&](int max, int cap) {
    auto r = Batch([&](Store& s) {
      FetchSpec spec{"q", max, 30'000, "w1"};
      spec.max_active = cap;
      return s.LeaseNext(spec, kT0);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Lease>{};
  };
  std::vector<Lease> first = take(5, 2);
  ASSERT_EQ(first.size(), 2u) << "at most the cap";
  EXPECT_TRUE(take(5, 2).empty()) << "at the cap: nothing more";
  ASSERT_TRUE(Done(first[0]).ok());
  EXPECT_EQ(take(5, 2).size(), 1u) << "one finished: room for one";
  // Within one batch the cap counts the batch's own leases too.
  ASSERT_TRUE(Done(first[1]).ok());
  auto both = Batch([&](Store& s) -> Result<size_t> {
    FetchSpec spec{"q", 1, 30'000, "w1"};
    spec.max_active = 2;
    CRONQ_ASSIGN_OR_RETURN(std::vector<Lease> a, s.LeaseNext(spec, kT0));
    CRONQ_ASSIGN_OR_RETURN(std::vector<Lease> b, s.LeaseNext(spec, kT0));
    CRONQ_ASSIGN_OR_RETURN(std::vector<Lease> c, s.LeaseNext(spec, kT0));
    return a.size() + b.size() + c.size();
  });
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(*both, 1u) << "one active before the batch, a cap of 2: one more";
  EXPECT_EQ(Counts("q"), C(1, 0, 2, 2, 0));
  EXPECT_EQ(take(5, 0).size(), 1u) << "no cap: the rest";
}

TEST_P(Conformance, ARateLimitCountsCommittedStartsInTheWindow) {
  for (int i = 0; i < 6; ++i) Add("q", "work");
  auto take = [&](int max, TimeMs now) {
    auto r = Batch([&](Store& s) {
      FetchSpec spec{"q", max, 30'000, "w1"};
      spec.rate = RateLimit{2, 1000};
      return s.LeaseNext(spec, now);
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->size() : 0u;
  };
  EXPECT_EQ(take(5, kT0), 2u) << "two starts per second";
  EXPECT_EQ(take(5, kT0 + 500), 0u) << "the window is full";
  // A rolled-back batch's leases do not count.
  ASSERT_TRUE(store_->Begin().ok());
  FetchSpec spec{"q", 1, 30'000, "w1"};
  spec.rate = RateLimit{2, 1000};
  auto undone = store_->LeaseNext(spec, kT0 + 1000);
  ASSERT_TRUE(undone.ok()) << undone.status().ToString();
  EXPECT_EQ(undone->size(), 1u);
  store_->Rollback();
  EXPECT_EQ(take(5, kT0 + 1000), 2u) << "a second later, two more";
  EXPECT_EQ(take(5, kT0 + 1500), 0u);
  EXPECT_EQ(Counts("q"), C(2, 0, 4, 0, 0));
}

TEST_P(Conformance, TheRunningAttemptIsShownWhileActive) {
  std::string id = Add("q", "work").id;
  Take("q", 1, kT0 + 7);
  Job j = Get("q", id);
  ASSERT_EQ(j.attempts.size(), 1u);
  EXPECT_EQ(j.attempts[0].n, 1);
  EXPECT_EQ(j.attempts[0].outcome, Outcome::kRunning);
  EXPECT_EQ(j.attempts[0].started_at, kT0 + 7);
  EXPECT_EQ(j.attempts[0].ended_at, 0);
  EXPECT_EQ(j.attempts[0].worker, "w1");
}

TEST_P(Conformance, CompleteStoresResultAndRefusesASecondAck) {
  Add("q", "work");
  Lease l = Take("q")[0];
  auto end = Done(l, kT0 + 250);
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_EQ(end->outcome, Outcome::kCompleted);
  EXPECT_EQ(end->attempt, 1);
  EXPECT_EQ(end->ended_at - end->started_at, 250);
  Job j = Get("q", l.id);
  EXPECT_EQ(j.state, JobState::kCompleted);
  EXPECT_EQ(j.result, "42");
  EXPECT_EQ(j.attempts_made, 1);
  EXPECT_EQ(j.finished_at, kT0 + 250);
  ASSERT_EQ(j.attempts.size(), 1u);
  EXPECT_EQ(j.attempts[0].outcome, Outcome::kCompleted);
  EXPECT_EQ(j.attempts[0].ended_at, kT0 + 250);
  EXPECT_TRUE(Done(l).status().IsConflict());
  EXPECT_TRUE(Fail(l).status().IsConflict());
  EXPECT_EQ(Counts("q"), C(0, 0, 0, 1, 0));
}

TEST_P(Conformance, WrongTokenIsAConflictAndChangesNothing) {
  Add("q", "work");
  Lease l = Take("q")[0];
  Lease forged = l;
  forged.token = "1.0000000000000000";
  EXPECT_TRUE(Done(forged).status().IsConflict());
  auto ext = Batch([&](Store& s) { return s.Extend(ExtendSpec{"q", l.id, "nope", 1000, {}, {}}, kT0); });
  EXPECT_TRUE(ext.status().IsConflict());
  EXPECT_EQ(Get("q", l.id).state, JobState::kActive);
  EXPECT_TRUE(Done(l).ok());
}

TEST_P(Conformance, FailureRetriesWithExponentialBackoffThenFails) {
  JobOptions o;
  o.attempts = 3;
  o.backoff = Backoff{Backoff::Type::kExponential, 1000, 0, 0};
  std::string id = Add("q", "flaky", o).id;
  Lease l1 = Take("q")[0];
  auto e1 = Fail(l1, kT0 + 10);
  ASSERT_TRUE(e1.ok());
  EXPECT_EQ(e1->state_after, JobState::kDelayed);
  Job j = Get("q", id);
  EXPECT_EQ(j.state, JobState::kDelayed);
  EXPECT_EQ(j.run_at, kT0 + 10 + 1000);
  EXPECT_EQ(j.failed_reason, "boom");
  EXPECT_TRUE(Take("q", 1, kT0 + 1009).empty());
  EXPECT_EQ(Due(kT0 + 1009).promoted, 0);
  DueWork w = Due(kT0 + 1010);
  EXPECT_EQ(w.promoted, 1);
  EXPECT_EQ(w.woken_queues, std::vector<std::string>{"q"});
  Lease l2 = Take("q", 1, kT0 + 1010)[0];
  EXPECT_EQ(l2.attempt, 2);
  EXPECT_NE(l2.token, l1.token);
  ASSERT_TRUE(Fail(l2, kT0 + 1020).ok());
  EXPECT_EQ(Get("q", id).run_at, kT0 + 1020 + 2000);
  Due(kT0 + 3020);
  Lease l3 = Take("q", 1, kT0 + 3020)[0];
  EXPECT_EQ(l3.attempt, 3);
  auto e3 = Fail(l3, kT0 + 3030);
  EXPECT_EQ(e3->state_after, JobState::kFailed);
  j = Get("q", id);
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_EQ(j.attempts_made, 3);
  ASSERT_EQ(j.attempts.size(), 3u);
  for (const Attempt& a : j.attempts) {
    EXPECT_EQ(a.outcome, Outcome::kFailed);
    EXPECT_EQ(a.error_message, "boom");
    EXPECT_EQ(a.error_stack, "at line 1");
  }
  EXPECT_EQ(Counts("q"), C(0, 0, 0, 0, 1));
}

TEST_P(Conformance, UnrecoverableSkipsRetries) {
  JobOptions o;
  o.attempts = 5;
  std::string id = Add("q", "bad", o).id;
  auto e = Fail(Take("q")[0], kT0, true);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->state_after, JobState::kFailed);
  EXPECT_EQ(Get("q", id).attempts_made, 1);
}

TEST_P(Conformance, FailureWithoutBackoffRequeuesAtOnce) {
  JobOptions o;
  o.attempts = 2;
  std::string id = Add("q", "x", o).id;
  EXPECT_EQ(Fail(Take("q")[0])->state_after, JobState::kWaiting);
  EXPECT_EQ(Take("q")[0].attempt, 2);
}

TEST_P(Conformance, DelayedJobsWaitUntilDue) {
  JobOptions o;
  o.delay = 5000;
  EnqueueResult r = Add("q", "later", o);
  EXPECT_EQ(r.state, JobState::kDelayed);
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  ASSERT_TRUE(d->next_delayed.has_value());
  EXPECT_EQ(*d->next_delayed, kT0 + 5000);
  EXPECT_TRUE(Take("q").empty());
  EXPECT_EQ(Due(kT0 + 4999).promoted, 0);
  EXPECT_EQ(Due(kT0 + 5000).promoted, 1);
  EXPECT_EQ(Take("q", 1, kT0 + 5000).size(), 1u);
}

// A delayed job can be leased from its due instant on, before any due pass has
// promoted it (a worker never waits for promotion), in the order it takes once
// promoted: (priority, then enqueue order), merged with the waiting jobs.
TEST_P(Conformance, DueDelayedJobsAreLeasedBeforeTheDuePass) {
  JobOptions low_later, high_later, high, far;
  low_later.priority = 2;
  low_later.delay = 5000;
  high_later.priority = 1;
  high_later.delay = 3000;
  high.priority = 1;
  far.delay = 60'000;
  std::string d_low = Add("q", "low, due at +5s", low_later).id;
  std::string d_high = Add("q", "high, due at +3s", high_later).id;
  std::string w_high = Add("q", "high, waiting", high).id;
  Add("q", "due at +60s", far);
  Add("other", "another queue's", high_later);
  EXPECT_EQ(Counts("q"), C(1, 3, 0, 0, 0));

  std::vector<Lease> first = Take("q", 2, kT0 + 5000);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, d_high);  // priority 1, enqueued before the waiting one
  EXPECT_EQ(first[1].id, w_high);
  std::vector<Lease> rest = Take("q", 10, kT0 + 5000);
  ASSERT_EQ(rest.size(), 1u);  // the +60s job is not due, the other queue's is not q's
  EXPECT_EQ(rest[0].id, d_low);
  EXPECT_EQ(rest[0].attempt, 1);
  EXPECT_EQ(Counts("q"), C(0, 1, 3, 0, 0));
  EXPECT_EQ(Get("q", d_high).state, JobState::kActive);

  // The due pass finds only what no fetch took; a leased job completes as usual.
  DueWork due = Due(kT0 + 5000);
  EXPECT_EQ(due.promoted, 1);
  EXPECT_EQ(due.woken_queues, std::vector<std::string>{"other"});
  EXPECT_EQ(Counts("q"), C(0, 1, 3, 0, 0));
  ASSERT_TRUE(Done(first[0], kT0 + 5001).ok());
  EXPECT_EQ(Counts("q"), C(0, 1, 2, 1, 0));
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->next_delayed, kT0 + 60'000);
}

// A retry waiting out its backoff is leased at its instant the same way.
TEST_P(Conformance, ARetryIsLeasedAtItsBackoffInstantBeforeTheDuePass) {
  JobOptions o;
  o.attempts = 2;
  o.backoff = Backoff{Backoff::Type::kFixed, 300, 0, 0};
  std::string id = Add("q", "flaky", o).id;
  ASSERT_EQ(Fail(Take("q")[0], kT0 + 10)->state_after, JobState::kDelayed);
  EXPECT_TRUE(Take("q", 1, kT0 + 309).empty());
  std::vector<Lease> again = Take("q", 1, kT0 + 310);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(again[0].attempt, 2);
  EXPECT_EQ(Counts("q"), C(0, 0, 1, 0, 0));
  EXPECT_EQ(Due(kT0 + 310).promoted, 0);
}

// Deadlines read between batches stay true as later batches add earlier ones (a
// backend may keep its last read and fold in what its writes add).
TEST_P(Conformance, DeadlinesFollowEveryBatchThatAddsOne) {
  auto deadlines = [&] {
    auto d = Batch([](Store& s) { return s.NextDeadlines(); });
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : Deadlines{};
  };
  Add("q", "plain");
  Deadlines d = deadlines();
  EXPECT_FALSE(d.next_lease || d.next_delayed || d.next_retention);
  Add("q", "plain too");
  EXPECT_FALSE(deadlines().next_delayed);
  ASSERT_EQ(Take("q", 1, kT0, 9000).size(), 1u);
  EXPECT_EQ(deadlines().next_lease, kT0 + 9000);
  ASSERT_EQ(Take("q", 1, kT0 + 1, 1000).size(), 1u);
  EXPECT_EQ(deadlines().next_lease, kT0 + 1001);
  JobOptions later;
  later.delay = 5000;
  Add("q", "later", later);
  EXPECT_EQ(deadlines().next_delayed, kT0 + 5000);
  JobOptions retry;
  retry.attempts = 2;
  retry.backoff = Backoff{Backoff::Type::kFixed, 300, 0, 0};
  retry.remove_on_complete.age = 60'000;
  Add("r", "retried", retry);
  ASSERT_EQ(Fail(Take("r")[0], kT0 + 10)->state_after, JobState::kDelayed);
  EXPECT_EQ(deadlines().next_delayed, kT0 + 310);
  EXPECT_EQ(Due(kT0 + 310).promoted, 1);
  std::vector<Lease> again = Take("r", 1, kT0 + 310);
  ASSERT_EQ(again.size(), 1u);
  deadlines();
  ASSERT_TRUE(Done(again[0], kT0 + 320).ok());
  d = deadlines();
  EXPECT_EQ(d.next_retention, kT0 + 320 + 60'000);
  EXPECT_EQ(d.next_delayed, kT0 + 5000);
}

TEST_P(Conformance, ExpiredLeaseStallsAndTheOldTokenIsStale) {
  std::string id = Add("q", "x").id;
  Lease old = Take("q", 1, kT0, 1000)[0];
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  EXPECT_EQ(d->next_lease, kT0 + 1000);
  DueWork w = Due(kT0 + 1000);
  ASSERT_EQ(w.ended.size(), 1u);
  EXPECT_EQ(w.ended[0].outcome, Outcome::kStalled);
  EXPECT_EQ(w.ended[0].id, id);
  EXPECT_EQ(w.woken_queues, std::vector<std::string>{"q"});
  Job j = Get("q", id);
  EXPECT_EQ(j.state, JobState::kWaiting);
  EXPECT_EQ(j.stalls, 1);
  EXPECT_EQ(j.attempts_made, 0);
  Lease fresh = Take("q", 1, kT0 + 1001)[0];
  EXPECT_EQ(fresh.attempt, 1);
  EXPECT_TRUE(Done(old).status().IsConflict());
  EXPECT_TRUE(Done(fresh).ok());
  j = Get("q", id);
  ASSERT_EQ(j.attempts.size(), 2u);
  EXPECT_EQ(j.attempts[0].outcome, Outcome::kStalled);
  EXPECT_EQ(j.attempts[1].outcome, Outcome::kCompleted);
}

TEST_P(Conformance, TooManyStallsFailTheJob) {
  JobOptions o;
  o.max_stalls = 1;
  std::string id = Add("q", "x", o).id;
  Take("q", 1, kT0, 100);
  Due(kT0 + 100);
  Take("q", 1, kT0 + 100, 100);
  DueWork w = Due(kT0 + 200);
  ASSERT_EQ(w.ended.size(), 1u);
  EXPECT_EQ(w.ended[0].state_after, JobState::kFailed);
  Job j = Get("q", id);
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_NE(j.failed_reason.find("stalled"), std::string::npos);
}

TEST_P(Conformance, TimeoutIsItsOwnOutcomeAndExtendCannotPassIt) {
  JobOptions o;
  o.timeout = 2000;
  o.attempts = 2;
  std::string id = Add("q", "slow", o).id;
  Lease l = Take("q", 1, kT0, 30'000)[0];
  EXPECT_EQ(l.lease_expires, kT0 + 2000);
  auto ext = Batch([&](Store& s) { return s.Extend(ExtendSpec{"q", id, l.token, 30'000, {}, {}}, kT0 + 1000); });
  ASSERT_TRUE(ext.ok());
  EXPECT_EQ(*ext, kT0 + 2000);
  DueWork w = Due(kT0 + 2000);
  ASSERT_EQ(w.ended.size(), 1u);
  EXPECT_EQ(w.ended[0].outcome, Outcome::kTimeout);
  EXPECT_EQ(w.ended[0].state_after, JobState::kWaiting);
  Job j = Get("q", id);
  EXPECT_EQ(j.attempts_made, 1);
  ASSERT_EQ(j.attempts.size(), 1u);
  EXPECT_EQ(j.attempts[0].outcome, Outcome::kTimeout);
  EXPECT_TRUE(Done(l).status().IsConflict());
}

TEST_P(Conformance, ExtendMovesTheLeaseAndKeepsProgressAndLogs) {
  std::string id = Add("q", "x").id;
  Lease l = Take("q", 1, kT0, 1000)[0];
  auto ext = Batch([&](Store& s) {
    return s.Extend(ExtendSpec{"q", id, l.token, 5000, std::string("{\"pct\":50}"), {"step 1", "step 2"}}, kT0 + 900);
  });
  ASSERT_TRUE(ext.ok());
  EXPECT_EQ(*ext, kT0 + 5900);
  EXPECT_TRUE(Due(kT0 + 1000).ended.empty());
  Job j = Get("q", id);
  EXPECT_EQ(j.progress, "{\"pct\":50}");
  ASSERT_EQ(j.logs.size(), 2u);
  EXPECT_EQ(j.logs[1].line, "step 2");
  EXPECT_EQ(j.logs[1].at, kT0 + 900);
}

TEST_P(Conformance, PausedQueueLeasesNothingUntilResumed) {
  Add("q", "x");
  Batch([](Store& s) { return s.SetPaused("q", true, kT0); });
  EXPECT_TRUE(Take("q").empty());
  auto qi = Batch([](Store& s) { return s.GetQueue("q"); });
  EXPECT_TRUE(qi->paused);
  Batch([](Store& s) { return s.SetPaused("q", false, kT0); });
  EXPECT_EQ(Take("q").size(), 1u);
}

TEST_P(Conformance, RemoveOnCompleteDeletesAtOnce) {
  JobOptions o;
  o.remove_on_complete.remove_now = true;
  std::string id = Add("q", "x", o).id;
  ASSERT_TRUE(Done(Take("q")[0]).ok());
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetJob("q", id); }).status().IsNotFound());
  EXPECT_EQ(Counts("q"), C(0, 0, 0, 0, 0));
}

TEST_P(Conformance, RetentionByCountKeepsTheNewest) {
  JobOptions o;
  o.remove_on_complete.count = 2;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Add("q", "x", o).id);
  for (const Lease& l : Take("q", 5)) ASSERT_TRUE(Done(l).ok());
  EXPECT_EQ(Counts("q"), C(0, 0, 0, 2, 0));
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetJob("q", ids[0]); }).status().IsNotFound());
  EXPECT_EQ(Get("q", ids[4]).state, JobState::kCompleted);
}

TEST_P(Conformance, RetentionByAgeDeletesOnTheDuePass) {
  JobOptions o;
  o.remove_on_fail.age = 60'000;
  std::string id = Add("q", "x", o).id;
  ASSERT_TRUE(Fail(Take("q")[0], kT0 + 5).ok());
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  EXPECT_EQ(d->next_retention, kT0 + 5 + 60'000);
  EXPECT_EQ(Due(kT0 + 60'004).removed, 0);
  EXPECT_EQ(Due(kT0 + 60'005).removed, 1);
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetJob("q", id); }).status().IsNotFound());
  EXPECT_EQ(Counts("q"), C(0, 0, 0, 0, 0));
}

TEST_P(Conformance, OperatorRetryPromoteAndRemove) {
  JobOptions delayed;
  delayed.delay = 100'000;
  std::string d = Add("q", "d", delayed).id;
  std::string f = Add("q", "f").id;
  ASSERT_TRUE(Fail(Take("q")[0], kT0, true).ok());
  EXPECT_TRUE(Batch([&](Store& s) { return s.Promote("q", d, kT0); }).ok());
  EXPECT_EQ(Get("q", d).state, JobState::kWaiting);
  EXPECT_TRUE(Batch([&](Store& s) { return s.Promote("q", d, kT0); }).IsConflict());
  EXPECT_TRUE(Batch([&](Store& s) { return s.Retry("q", f, kT0); }).ok());
  Job j = Get("q", f);
  EXPECT_EQ(j.state, JobState::kWaiting);
  EXPECT_EQ(j.attempts_made, 0);
  EXPECT_EQ(j.attempts.size(), 1u);  // history is kept
  EXPECT_TRUE(Batch([&](Store& s) { return s.Retry("q", f, kT0); }).IsConflict());
  std::vector<Lease> ls = Take("q", 2);
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_TRUE(Batch([&](Store& s) { return s.Remove("q", ls[0].id); }).IsConflict());
  ASSERT_TRUE(Done(ls[0]).ok());
  EXPECT_TRUE(Batch([&](Store& s) { return s.Remove("q", ls[0].id); }).ok());
  EXPECT_TRUE(Batch([&](Store& s) { return s.Remove("q", ls[0].id); }).IsNotFound());
  EXPECT_EQ(Counts("q"), C(0, 0, 1, 0, 0));
}

// A rolled-back batch of leases, batch acks and batch enqueues (the operations a
// backend may gather into one call) leaves every job as it was.
TEST_P(Conformance, RollbackUndoesLeasesAcksAndBatchEnqueues) {
  Add("q", "a");
  Add("q", "b");
  JobOptions later;
  later.delay = 60'000;
  Add("q", "c", later);
  JobOptions fixed;
  fixed.job_id = "fixed";
  Add("q", "d", fixed);
  std::vector<Lease> held = Take("q", 1);
  ASSERT_EQ(held.size(), 1u);
  ASSERT_TRUE(store_->Begin().ok());
  auto more = store_->LeaseNext(FetchSpec{"q", 5, 30'000, "w2"}, kT0 + 1);
  ASSERT_TRUE(more.ok());
  ASSERT_EQ(more->size(), 2u);
  std::vector<CompleteSpec> acks{{"q", held[0].id, held[0].token, "1"}};
  for (const Lease& l : *more) acks.push_back(CompleteSpec{"q", l.id, l.token, "2"});
  for (auto& r : store_->CompleteBatch(acks, kT0 + 2)) EXPECT_TRUE(r.ok()) << r.status().ToString();
  JobOptions fresh;
  fresh.job_id = "fresh";
  auto added = store_->EnqueueBatch("q", {NewJob{"e", "null", fixed}, NewJob{"f", "null", fresh},
                                          NewJob{"g", "null", fresh}, NewJob{"h", "null", later}},
                                    kT0 + 3);
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE((*added)[0].duplicate);
  EXPECT_FALSE((*added)[1].duplicate);
  EXPECT_TRUE((*added)[2].duplicate);
  EXPECT_EQ((*added)[2].id, "fresh");
  store_->Rollback();
  EXPECT_EQ(Counts("q"), C(2, 1, 1, 0, 0));
  EXPECT_TRUE(Batch([](Store& s) { return s.GetJob("q", "fresh"); }).status().IsNotFound());
  Job a = Get("q", held[0].id);
  EXPECT_EQ(a.state, JobState::kActive);
  EXPECT_EQ(a.worker, "w1");
  EXPECT_TRUE(Get("q", "fixed").worker.empty());
  // The lease held before the batch still completes; the rolled-back ones are gone.
  ASSERT_TRUE(Done(held[0]).ok());
  auto deadlines = Batch([](Store& s) { return s.NextDeadlines(); });
  ASSERT_TRUE(deadlines.ok());
  EXPECT_FALSE(deadlines->next_lease.has_value()) << "a rolled-back lease left a deadline: " << *deadlines->next_lease;
  EXPECT_EQ(deadlines->next_delayed, kT0 + 60'000);
  std::vector<Lease> again = Take("q", 5, kT0 + 4);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].attempt, 1);
  EXPECT_NE(again[0].token, (*more)[0].token);
  EXPECT_EQ(Counts("q"), C(0, 1, 2, 1, 0));
}

TEST_P(Conformance, RollbackUndoesTheWholeBatch) {
  Add("q", "kept");
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->Enqueue("q", NewJob{"gone", "null", {}}, kT0).ok());
  ASSERT_TRUE(store_->Enqueue("fresh", NewJob{"gone", "null", {}}, kT0).ok());
  store_->Rollback();
  EXPECT_EQ(Counts("q"), C(1, 0, 0, 0, 0));
  EXPECT_TRUE(Batch([](Store& s) { return s.GetQueue("fresh"); }).status().IsNotFound());
  // The store still works after a rollback.
  EXPECT_EQ(Add("fresh", "ok").state, JobState::kWaiting);
}

TEST_P(Conformance, CommittedStateSurvivesReopen) {
  JobOptions o;
  o.attempts = 2;
  o.backoff = Backoff{Backoff::Type::kFixed, 500, 0, 0};
  std::string a = Add("q", "a", o).id;
  std::string b = Add("q", "b").id;
  Lease la = Take("q")[0];
  ASSERT_TRUE(Fail(la).ok());
  Lease lb = Take("q", 1, kT0, 60'000)[0];
  Reopen();
  Job ja = Get("q", a);
  EXPECT_EQ(ja.state, JobState::kDelayed);
  EXPECT_EQ(ja.attempts.size(), 1u);
  EXPECT_EQ(ja.opts.backoff.delay, 500);
  EXPECT_EQ(ja.opts.attempts, 2);
  // A lease taken before the restart is still honoured after it.
  EXPECT_TRUE(Done(lb).ok());
  EXPECT_EQ(Counts("q"), C(0, 1, 0, 1, 0));
}

TEST_P(Conformance, ListJobsFiltersSearchesAndPages) {
  for (int i = 0; i < 7; ++i) Add("q", i % 2 ? "odd" : "even", {}, kT0 + i);
  auto all = Batch([](Store& s) { return s.ListJobs("q", JobQuery{}); });
  ASSERT_EQ(all->jobs.size(), 7u);
  EXPECT_EQ(all->jobs.front().created_at, kT0 + 6);  // newest first
  JobQuery byName;
  byName.text = "odd";
  EXPECT_EQ(Batch([&](Store& s) { return s.ListJobs("q", byName); })->jobs.size(), 3u);
  JobQuery page;
  page.limit = 3;
  std::vector<std::string> seen;
  for (int guard = 0; guard < 5; ++guard) {
    auto p = Batch([&](Store& s) { return s.ListJobs("q", page); });
    for (const Job& j : p->jobs) seen.push_back(j.id);
    if (p->next_cursor.empty()) break;
    page.cursor = p->next_cursor;
  }
  EXPECT_EQ(seen.size(), 7u);
  ASSERT_TRUE(Fail(Take("q")[0], kT0, true).ok());
  JobQuery failed;
  failed.state = JobState::kFailed;
  failed.text = "boo";  // error text
  auto f = Batch([&](Store& s) { return s.ListJobs("q", failed); });
  ASSERT_EQ(f->jobs.size(), 1u);
  EXPECT_EQ(f->jobs[0].failed_reason, "boom");
  JobQuery window;
  window.from = kT0 + 2;
  window.to = kT0 + 4;
  EXPECT_EQ(Batch([&](Store& s) { return s.ListJobs("q", window); })->jobs.size(), 2u);
}

TEST_P(Conformance, IdsAreNeverReusedAfterADelete) {
  std::string a = Add("q", "a").id;
  std::string b = Add("q", "b").id;
  ASSERT_TRUE(Batch([&](Store& s) { return s.Remove("q", b); }).ok());
  Reopen();
  std::string c = Add("other", "c").id;
  EXPECT_NE(c, b);
  EXPECT_NE(c, a);
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetJob("q", b); }).status().IsNotFound());
}

TEST_P(Conformance, LogLinesAreCappedKeepingTheNewest) {
  std::string id = Add("q", "chatty").id;
  Lease l = Take("q")[0];
  std::vector<std::string> lines;
  for (size_t i = 0; i < limits::kLogLinesPerJob + 5; ++i) lines.push_back("line " + std::to_string(i));
  ASSERT_TRUE(Batch([&](Store& s) { return s.Extend(ExtendSpec{"q", id, l.token, 30'000, {}, lines}, kT0); }).ok());
  Job j = Get("q", id);
  ASSERT_EQ(j.logs.size(), limits::kLogLinesPerJob);
  EXPECT_EQ(j.logs.front().line, "line 5");
  EXPECT_EQ(j.logs.back().line, "line " + std::to_string(limits::kLogLinesPerJob + 4));
}

TEST_P(Conformance, SearchTreatsWildcardsLiterally) {
  Add("q", "50% off");
  Add("q", "500 units");
  Add("q", "a_b");
  Add("q", "axb");
  JobQuery pct;
  pct.text = "50%";
  auto r = Batch([&](Store& s) { return s.ListJobs("q", pct); });
  ASSERT_EQ(r->jobs.size(), 1u);
  EXPECT_EQ(r->jobs[0].name, "50% off");
  JobQuery under;
  under.text = "a_b";
  r = Batch([&](Store& s) { return s.ListJobs("q", under); });
  ASSERT_EQ(r->jobs.size(), 1u);
  EXPECT_EQ(r->jobs[0].name, "a_b");
}

TEST_P(Conformance, OptionsRoundTrip) {
  JobOptions o;
  o.delay = 1234;
  o.attempts = 4;
  o.priority = 9;
  o.timeout = 777;
  o.max_stalls = 3;
  o.backoff = Backoff{Backoff::Type::kExponential, 100, 0.25, 5000};
  o.remove_on_complete.count = 7;
  o.remove_on_fail.age = 60'000;
  Job j = Get("q", Add("q", "x", o).id);
  EXPECT_EQ(j.opts.delay, 1234);
  EXPECT_EQ(j.opts.attempts, 4);
  EXPECT_EQ(j.opts.priority, 9);
  EXPECT_EQ(j.opts.timeout, 777);
  EXPECT_EQ(j.opts.max_stalls, 3);
  EXPECT_EQ(j.opts.backoff.type, Backoff::Type::kExponential);
  EXPECT_EQ(j.opts.backoff.delay, 100);
  EXPECT_DOUBLE_EQ(j.opts.backoff.jitter, 0.25);
  EXPECT_EQ(j.opts.backoff.max_delay, 5000);
  EXPECT_EQ(j.opts.remove_on_complete.count, 7);
  EXPECT_EQ(j.opts.remove_on_fail.age, 60'000);
  EXPECT_EQ(j.run_at, kT0 + 1234);
}

TEST_P(Conformance, CreateQueueIsIdempotent) {
  EXPECT_TRUE(Batch([](Store& s) { return s.CreateQueue("empty", kT0); }).ok());
  EXPECT_TRUE(Batch([](Store& s) { return s.CreateQueue("empty", kT0); }).ok());
  auto q = Batch([](Store& s) { return s.GetQueue("empty"); });
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->paused);
  EXPECT_EQ(q->counts, C(0, 0, 0, 0, 0));
}

TEST_P(Conformance, QueuesAreListedWithCounts) {
  Add("b", "x");
  Add("a", "x");
  Add("a", "y");
  auto qs = Batch([](Store& s) { return s.ListQueues(); });
  ASSERT_EQ(qs->size(), 2u);
  EXPECT_EQ((*qs)[0].name, "a");
  EXPECT_EQ((*qs)[0].counts[0], 2);
  EXPECT_EQ((*qs)[0].oldest_waiting, kT0);
  EXPECT_EQ((*qs)[1].name, "b");
}

PushConfig SamplePush() {
  PushConfig p;
  p.url = "https://app.example.com/api/jobs?x=1";
  p.secrets = {"current", "next"};
  p.timeout = 15'000;
  p.concurrency = 3;
  p.rate = RateLimit{100, 1000};
  p.headers = {{"x-extra", "v"}, {"X-Second", "w"}};
  return p;
}

TEST_P(Conformance, QueueConfigRoundTripsAndSurvivesReopen) {
  QueueConfig c;
  c.push = SamplePush();
  c.defaults.attempts = 4;
  c.defaults.backoff = Backoff{Backoff::Type::kExponential, 500, 0.5, 9000};
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetQueueConfig("email", c, kT0); }).ok());
  Reopen();
  auto q = Batch([](Store& s) { return s.GetQueue("email"); });
  ASSERT_TRUE(q.ok()) << "SetQueueConfig creates the queue";
  ASSERT_TRUE(q->config.push.has_value());
  EXPECT_EQ(*q->config.push, SamplePush());
  EXPECT_EQ(q->config.defaults.attempts, 4);
  ASSERT_TRUE(q->config.defaults.backoff.has_value());
  EXPECT_EQ(q->config.defaults.backoff->delay, 500);
  EXPECT_EQ(q->config.defaults.backoff->max_delay, 9000);
  auto pushes = Batch([](Store& s) { return s.ListPushQueues(); });
  ASSERT_TRUE(pushes.ok());
  ASSERT_EQ(pushes->size(), 1u);
  EXPECT_EQ((*pushes)[0].name, "email");
  EXPECT_EQ((*pushes)[0].push, SamplePush());

  c.push.reset();  // back to a pull queue
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetQueueConfig("email", c, kT0); }).ok());
  EXPECT_TRUE(Batch([](Store& s) { return s.ListPushQueues(); })->empty());
  EXPECT_FALSE(Batch([](Store& s) { return s.GetQueue("email"); })->config.push.has_value());
}

TEST_P(Conformance, APushQueueIsLeasedOnlyByThePushDeliverer) {
  QueueConfig c;
  c.push = SamplePush();
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetQueueConfig("hook", c, kT0); }).ok());
  std::string id = Add("hook", "x").id;
  auto pull = Batch([](Store& s) { return s.LeaseNext(FetchSpec{"hook", 1, 30'000, "w1"}, kT0); });
  ASSERT_FALSE(pull.ok());
  EXPECT_TRUE(pull.status().IsConflict());
  EXPECT_EQ(Get("hook", id).state, JobState::kWaiting) << "a refused fetch changes nothing";
  FetchSpec push{"hook", 1, 30'000, "cronq-push"};
  push.push = true;
  auto leased = Batch([&](Store& s) { return s.LeaseNext(push, kT0); });
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 1u);
  EXPECT_EQ((*leased)[0].id, id);
  // Back to a pull queue: the deliverer takes nothing more, pull workers take the jobs.
  Add("hook", "y");
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetQueueConfig("hook", QueueConfig{}, kT0); }).ok());
  auto none = Batch([&](Store& s) { return s.LeaseNext(push, kT0); });
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(Take("hook").size(), 1u);
}

TEST_P(Conformance, QueueDefaultsApplyToJobsThatLeaveThemUnset) {
  QueueConfig c;
  c.defaults.attempts = 3;
  c.defaults.backoff = Backoff{Backoff::Type::kFixed, 2000, 0, 0};
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetQueueConfig("d", c, kT0); }).ok());
  NewJob bare{"bare", "null", {}};
  bare.attempts_set = bare.backoff_set = false;
  NewJob own{"own", "null", {}};
  own.opts.attempts = 7;
  own.backoff_set = false;
  auto ids = Batch([&](Store& s) {
    return std::make_pair(s.Enqueue("d", bare, kT0)->id, s.Enqueue("d", own, kT0)->id);
  });
  Job b = Get("d", ids.first), o = Get("d", ids.second);
  EXPECT_EQ(b.opts.attempts, 3);
  EXPECT_EQ(b.opts.backoff.type, Backoff::Type::kFixed);
  EXPECT_EQ(b.opts.backoff.delay, 2000);
  EXPECT_EQ(o.opts.attempts, 7) << "the job's own value wins";
  EXPECT_EQ(o.opts.backoff.delay, 2000);
  // Defaults set and used in one batch, and removed again.
  auto later = Batch([&](Store& s) {
    EXPECT_TRUE(s.SetQueueConfig("d", QueueConfig{}, kT0).ok());
    return s.Enqueue("d", bare, kT0)->id;
  });
  EXPECT_EQ(Get("d", later).opts.attempts, 1);
  Reopen();
  EXPECT_EQ(Get("d", Add("d", "after-reopen").id).opts.attempts, 1);
}

TEST_P(Conformance, ScheduledJobsTakeTheQueueDefaultsTheyLeftUnset) {
  QueueConfig c;
  c.defaults.attempts = 3;
  c.defaults.backoff = Backoff{Backoff::Type::kFixed, 2000, 0, 0};
  ASSERT_TRUE(Batch([&](Store& s) { return s.SetQueueConfig("hooks", c, kT0); }).ok());
  ScheduleDef d;
  d.name = "nightly";
  d.expr = "0 3 * * *";
  d.queue = "hooks";
  d.job = NewJob{"sync", "null", {}};
  d.job.attempts_set = false;  // backoff set by the schedule: none
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSchedule(d, kT0, kT0); }).ok());
  Reopen();
  auto st = Batch([](Store& s) { return s.GetSchedule("nightly"); });
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->def.job.attempts_set);
  EXPECT_TRUE(st->def.job.backoff_set);
  auto claim = Batch([&](Store& s) {
    return s.ClaimSlot("nightly", kT0, SlotStatus::kFired, &st->def.job, "hooks", "", kT0, kT0);
  });
  ASSERT_TRUE(claim.ok());
  Job j = Get("hooks", claim->job_id);
  EXPECT_EQ(j.opts.attempts, 3);
  EXPECT_EQ(j.opts.backoff.type, Backoff::Type::kNone);
}

TEST_P(Conformance, FailWithARetryDelayAndATimeoutOutcome) {
  JobOptions o;
  o.attempts = 3;
  o.backoff = Backoff{Backoff::Type::kFixed, 100, 0, 0};
  std::string id = Add("q", "x", o).id;
  Lease l = Take("q")[0];
  FailSpec f;
  f.queue = "q";
  f.id = id;
  f.token = l.token;
  f.message = "HTTP 429";
  f.retry_delay = 45'000;
  auto e = Batch([&](Store& s) { return s.Fail(f, kT0, 0.0); });
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->state_after, JobState::kDelayed);
  EXPECT_EQ(Get("q", id).run_at, kT0 + 45'000) << "the retry delay replaces the 100 ms backoff";
  Due(kT0 + 45'000);
  Lease l2 = Take("q", 1, kT0 + 45'000)[0];
  f.token = l2.token;
  f.retry_delay.reset();
  f.timed_out = true;
  f.message = "no answer within 15000 ms";
  e = Batch([&](Store& s) { return s.Fail(f, kT0 + 50'000, 0.0); });
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->outcome, Outcome::kTimeout);
  Job j = Get("q", id);
  EXPECT_EQ(j.run_at, kT0 + 50'100);
  ASSERT_EQ(j.attempts.size(), 2u);
  EXPECT_EQ(j.attempts[0].outcome, Outcome::kFailed);
  EXPECT_EQ(j.attempts[1].outcome, Outcome::kTimeout);
}

TEST_P(Conformance, ManyJobsKeepCountsExact) {
  JobOptions o;
  o.attempts = 2;
  auto ids = Batch([&](Store& s) {
    std::vector<std::string> out;
    for (int i = 0; i < 300; ++i) out.push_back(s.Enqueue("bulk", NewJob{"n", "null", o}, kT0)->id);
    return out;
  });
  std::vector<Lease> ls = Take("bulk", 200);
  ASSERT_EQ(ls.size(), 200u);
  for (size_t i = 0; i < ls.size(); ++i) {
    if (i % 4 == 0) ASSERT_TRUE(Fail(ls[i]).ok());
    else ASSERT_TRUE(Done(ls[i]).ok());
  }
  EXPECT_EQ(Counts("bulk"), C(150, 0, 0, 150, 0));
}

// ---- schedules ----------------------------------------------------------------

ScheduleDef Nightly(const std::string& name = "nightly") {
  ScheduleDef d;
  d.name = name;
  d.expr = "0 3 * * *";
  d.tz = "Europe/London";
  d.queue = "reports";
  d.job = NewJob{"build-report", "{\"kind\":\"daily\"}", {}};
  d.job.opts.attempts = 2;
  d.policy.missed = MissedPolicy::kAll;
  d.policy.max_runs = 3;
  d.policy.overlap = OverlapPolicy::kForbid;
  return d;
}

TEST_P(Conformance, SchedulesRoundTripAndUpsertLeavesOne) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Nightly(), kT0 + 1000, kT0); }).ok());
  ScheduleDef changed = Nightly();
  changed.job.data = "{\"kind\":\"weekly\"}";
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSchedule(changed, kT0 + 2000, kT0 + 5); }).ok());
  auto all = Batch([](Store& s) { return s.ListSchedules(); });
  ASSERT_EQ(all->size(), 1u);
  const ScheduleState& st = (*all)[0];
  EXPECT_EQ(st.def.expr, "0 3 * * *");
  EXPECT_EQ(st.def.tz, "Europe/London");
  EXPECT_EQ(st.def.queue, "reports");
  EXPECT_EQ(st.def.job.data, "{\"kind\":\"weekly\"}");
  EXPECT_EQ(st.def.job.opts.attempts, 2);
  EXPECT_EQ(st.def.policy.missed, MissedPolicy::kAll);
  EXPECT_EQ(st.def.policy.max_runs, 3);
  EXPECT_EQ(st.def.policy.overlap, OverlapPolicy::kForbid);
  EXPECT_EQ(st.next_due, kT0 + 2000);
  EXPECT_EQ(st.created_at, kT0);
  EXPECT_EQ(st.updated_at, kT0 + 5);
}

TEST_P(Conformance, ASlotIsClaimedExactlyOnceEvenAfterReopen) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Nightly(), kT0, kT0); }).ok());
  ScheduleDef d = Nightly();
  auto first = Batch([&](Store& s) { return s.ClaimSlot("nightly", kT0, SlotStatus::kFired, &d.job, "reports", "", kT0, kT0); });
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->claimed);
  EXPECT_FALSE(first->job_id.empty());
  Reopen();
  auto again = Batch([&](Store& s) { return s.ClaimSlot("nightly", kT0, SlotStatus::kFired, &d.job, "reports", "", kT0 + 9, kT0 + 9); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->claimed);
  EXPECT_EQ(Counts("reports")[0], 1);
  Job j = Get("reports", first->job_id);
  EXPECT_EQ(j.name, "build-report");
  EXPECT_EQ(j.fire_id, FireId("nightly", kT0));
  EXPECT_EQ(j.opts.attempts, 2);
  std::vector<Lease> ls = Take("reports");
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0].fire_id, FireId("nightly", kT0));
  auto st = Batch([](Store& s) { return s.GetSchedule("nightly"); });
  EXPECT_EQ(st->last_id, first->job_id);
}

TEST_P(Conformance, SlotHistoryFollowsTheJob) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Nightly(), kT0, kT0); }).ok());
  ScheduleDef d = Nightly();
  d.job.opts.attempts = 1;
  for (int i = 0; i < 3; ++i) {
    auto c = Batch([&](Store& s) {
      return s.ClaimSlot("nightly", kT0 + i * 1000, SlotStatus::kFired, &d.job, "reports", "", kT0 + i * 1000, kT0 + i * 1000);
    });
    ASSERT_TRUE(c->claimed);
  }
  ASSERT_TRUE(Batch([](Store& s) { return s.ClaimSlot("nightly", kT0 + 3000, SlotStatus::kMissed, nullptr, "", "down", kT0 + 9000, kT0 + 9000); })->claimed);
  std::vector<Lease> ls = Take("reports", 2);
  ASSERT_EQ(ls.size(), 2u);
  ASSERT_TRUE(Done(ls[0]).ok());
  ASSERT_TRUE(Fail(ls[1]).ok());
  JobQuery waiting_q;
  waiting_q.state = JobState::kWaiting;
  auto waiting = Batch([&](Store& s) { return s.ListJobs("reports", waiting_q); });
  ASSERT_EQ(waiting->jobs.size(), 1u);
  ASSERT_TRUE(Batch([&](Store& s) { return s.Remove("reports", waiting->jobs[0].id); }).ok());
  auto slots = Batch([](Store& s) { return s.ListSlots("nightly", 10); });
  ASSERT_EQ(slots->size(), 4u);  // newest first
  EXPECT_EQ((*slots)[0].status, SlotStatus::kMissed);
  EXPECT_EQ((*slots)[0].note, "down");
  EXPECT_EQ((*slots)[0].handled_at, kT0 + 9000);
  EXPECT_EQ((*slots)[1].status, SlotStatus::kSkipped);
  EXPECT_EQ((*slots)[2].status, SlotStatus::kFailed);
  EXPECT_EQ((*slots)[3].status, SlotStatus::kCompleted);
  EXPECT_EQ((*slots)[3].job_queue, "reports");
}

TEST_P(Conformance, DueSchedulesSkipPausedOnesAndFeedTheDeadlines) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Nightly("a"), kT0 + 500, kT0); }).ok());
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Nightly("b"), kT0 + 100, kT0); }).ok());
  ScheduleDef c = Nightly("c");
  c.paused = true;
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSchedule(c, kT0 + 50, kT0); }).ok());
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  EXPECT_EQ(d->next_schedule, kT0 + 100);
  auto due = Batch([](Store& s) { return s.DueSchedules(kT0 + 1000, kT0 + 1000, 10); });
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].def.name, "b");
  EXPECT_EQ((*due)[1].def.name, "a");
  ASSERT_TRUE(Batch([](Store& s) { return s.AdvanceSchedule("b", std::nullopt); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.DueSchedules(kT0 + 1000, kT0 + 1000, 10); })->size(), 1u);
  ASSERT_TRUE(Batch([](Store& s) { return s.SetSchedulePaused("c", false, kT0 + 20, kT0); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_schedule, kT0 + 20);
  ASSERT_TRUE(Batch([](Store& s) { return s.DeleteSchedule("c"); }).ok());
  EXPECT_TRUE(Batch([](Store& s) { return s.GetSchedule("c"); }).status().IsNotFound());
  EXPECT_TRUE(Batch([](Store& s) { return s.DeleteSchedule("c"); }).IsNotFound());
}

TEST_P(Conformance, SlotHistoryIsBounded) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Nightly(), kT0, kT0); }).ok());
  Batch([](Store& s) {
    for (int i = 0; i < 1100; ++i) s.ClaimSlot("nightly", kT0 + i, SlotStatus::kMissed, nullptr, "", "", kT0, kT0);
    return Status::Ok();
  });
  auto slots = Batch([](Store& s) { return s.ListSlots("nightly", 5000); });
  EXPECT_LE(slots->size(), 1000u + 64u);
  EXPECT_GE(slots->size(), 1000u);
  EXPECT_EQ(slots->front().due_at, kT0 + 1099);
}

}  // namespace

// ---- audit log ----------------------------------------------------------------

TEST_P(Conformance, AuditEntriesAreKeptNewestFirstAndPaged) {
  Batch([](Store& s) {
    for (int i = 0; i < 5; ++i) {
      Status st = s.AppendAudit(AuditEntry{0, kT0 + i, "ops", "admin", "job.retry", "email/" + std::to_string(i),
                                           i == 0 ? "{\"n\":0}" : ""});
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return 0;
  });
  auto first = Batch([](Store& s) { return s.ListAudit(AuditQuery{2, ""}); });
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->entries.size(), 2u);
  EXPECT_EQ(first->entries[0].target, "email/4");
  EXPECT_EQ(first->entries[1].target, "email/3");
  EXPECT_GT(first->entries[0].seq, first->entries[1].seq);
  EXPECT_EQ(first->entries[0].at, kT0 + 4);
  EXPECT_EQ(first->entries[0].actor, "ops");
  EXPECT_EQ(first->entries[0].scope, "admin");
  EXPECT_EQ(first->entries[0].action, "job.retry");
  ASSERT_FALSE(first->next_cursor.empty());
  auto rest = Batch([&](Store& s) { return s.ListAudit(AuditQuery{10, first->next_cursor}); });
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->entries.size(), 3u);
  EXPECT_EQ(rest->entries[0].target, "email/2");
  EXPECT_EQ(rest->entries[2].target, "email/0");
  EXPECT_EQ(rest->entries[2].detail, "{\"n\":0}");
  EXPECT_EQ(rest->entries[1].detail, "");
  EXPECT_TRUE(rest->next_cursor.empty());
  auto bad = Batch([](Store& s) { return s.ListAudit(AuditQuery{10, "not-a-cursor"}); });
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST_P(Conformance, AuditEntriesSurviveReopenAndARolledBackBatchLeavesNone) {
  Batch([](Store& s) { return s.AppendAudit(AuditEntry{0, kT0, "ops", "admin", "queue.pause", "email", ""}); });
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->AppendAudit(AuditEntry{0, kT0 + 1, "ops", "admin", "queue.resume", "email", ""}).ok());
  store_->Rollback();
  Reopen();
  auto page = Batch([](Store& s) { return s.ListAudit(AuditQuery{}); });
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].action, "queue.pause");
  // Seqs keep increasing after a reopen.
  Batch([](Store& s) { return s.AppendAudit(AuditEntry{0, kT0 + 2, "ops", "admin", "queue.resume", "email", ""}); });
  page = Batch([](Store& s) { return s.ListAudit(AuditQuery{}); });
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].action, "queue.resume");
  EXPECT_GT(page->entries[0].seq, page->entries[1].seq);
}

// Dashboard sessions: what one process puts, any process on the same store finds
// (a reopen stands for another replica or a restart), until it expires or is deleted.
TEST_P(Conformance, SessionsAreFoundUntilTheyExpireOrAreDeleted) {
  const SessionRecord a{"ops", "csrf-a", kT0 + 60'000};
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSession("key-a", a, kT0, false); }).ok());
  const SessionRecord b{"ro", "csrf-b", kT0 + 60'000};
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSession("key-b", b, kT0, false); }).ok());
  Reopen();
  auto got = Batch([&](Store& s) { return s.GetSession("key-a", kT0 + 1); });
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->token, "ops");
  EXPECT_EQ((*got)->csrf, "csrf-a");
  EXPECT_EQ((*got)->expires, kT0 + 60'000);
  EXPECT_FALSE(Batch([&](Store& s) { return s.GetSession("key-a", kT0 + 60'000); })->has_value()) << "expired";
  EXPECT_FALSE(Batch([&](Store& s) { return s.GetSession("unknown", kT0); })->has_value());
  // An extension is a Put with a later expiry.
  const SessionRecord later{"ops", "csrf-a", kT0 + 120'000};
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSession("key-a", later, kT0 + 1, true); }).ok());
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetSession("key-a", kT0 + 90'000); })->has_value());
  // Logging out deletes one session only, and a late extension does not bring it back.
  ASSERT_TRUE(Batch([&](Store& s) { return s.DeleteSession("key-a"); }).ok());
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSession("key-a", later, kT0 + 2, true); }).ok());
  EXPECT_FALSE(Batch([&](Store& s) { return s.GetSession("key-a", kT0 + 2); })->has_value());
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetSession("key-b", kT0 + 2); })->has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::ValuesIn(AllBackends()), BackendName);

// ---- slots claimed ahead of their due instant ----------------------------------

ScheduleDef Ahead(const std::string& name, OverlapPolicy overlap = OverlapPolicy::kAllow) {
  ScheduleDef d = Nightly(name);
  d.policy.overlap = overlap;
  return d;
}

TEST_P(Conformance, ASlotClaimedAheadWaitsDelayedUntilItsDueInstant) {
  const TimeMs due = kT0 + 1000;
  ASSERT_TRUE(Batch([&](Store& s) { return s.PutSchedule(Ahead("nightly"), due, kT0); }).ok());
  ScheduleDef d = Ahead("nightly");
  auto c = Batch([&](Store& s) { return s.ClaimSlot("nightly", due, SlotStatus::kFired, &d.job, "reports", "", kT0, due); });
  ASSERT_TRUE(c.ok() && c->claimed);
  EXPECT_EQ(c->job_state, JobState::kDelayed);
  EXPECT_EQ(Counts("reports"), C(0, 1, 0, 0, 0));
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_delayed, due);
  auto slots = Batch([](Store& s) { return s.ListSlots("nightly", 10); });
  ASSERT_EQ(slots->size(), 1u);
  EXPECT_EQ((*slots)[0].handled_at, due);
  EXPECT_EQ((*slots)[0].claimed_at, kT0);
  Reopen();
  EXPECT_FALSE(Batch([&](Store& s) { return s.ClaimSlot("nightly", due, SlotStatus::kFired, &d.job, "reports", "", due, due); })->claimed);
  EXPECT_EQ(Due(due - 1).promoted, 0);
  EXPECT_TRUE(Take("reports", 1, due - 1).empty());
  DueWork w = Due(due);
  EXPECT_EQ(w.promoted, 1);
  EXPECT_EQ(w.woken_queues, std::vector<std::string>{"reports"});
  std::vector<Lease> ls = Take("reports", 1, due);
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0].fire_id, FireId("nightly", due));
  // A slot claimed at (or after) its due instant: claimed and handled at once.
  auto late = Batch([&](Store& s) { return s.ClaimSlot("nightly", due + 1000, SlotStatus::kFired, &d.job, "reports", "", due + 1300, due + 1000); });
  EXPECT_EQ(late->job_state, JobState::kWaiting);
  auto again = Batch([](Store& s) { return s.ListSlots("nightly", 1); });
  EXPECT_EQ((*again)[0].handled_at, due + 1300);
  EXPECT_EQ((*again)[0].claimed_at, due + 1300);
}

TEST_P(Conformance, OnlySchedulesThatAllowOverlapAreDueAhead) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Ahead("allow"), kT0 + 500, kT0); }).ok());
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Ahead("forbid", OverlapPolicy::kForbid), kT0 + 300, kT0); }).ok());
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Ahead("replace", OverlapPolicy::kReplace), kT0 - 5, kT0); }).ok());
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  EXPECT_EQ(d->next_schedule, kT0 - 5);
  EXPECT_EQ(d->next_schedule_ahead, kT0 + 500);
  auto due = Batch([](Store& s) { return s.DueSchedules(kT0, kT0 + 1000, 10); });
  ASSERT_EQ(due->size(), 2u);  // replace because it is due, allow because it may be claimed ahead
  EXPECT_EQ((*due)[0].def.name, "replace");
  EXPECT_EQ((*due)[1].def.name, "allow");
  EXPECT_EQ(Batch([](Store& s) { return s.DueSchedules(kT0, kT0 + 400, 10); })->size(), 1u);
  EXPECT_EQ(Batch([](Store& s) { return s.DueSchedules(kT0, kT0 + 1000, 1); })->size(), 1u);
  ASSERT_TRUE(Batch([](Store& s) { return s.AdvanceSchedule("allow", kT0 + 5000); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_schedule_ahead, kT0 + 5000);
  ASSERT_TRUE(Batch([](Store& s) { return s.SetSchedulePaused("allow", true, kT0 + 5000, kT0); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_schedule_ahead, std::nullopt);
  ASSERT_TRUE(Batch([](Store& s) { return s.SetSchedulePaused("allow", false, kT0 + 6000, kT0); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_schedule_ahead, kT0 + 6000);
  // Changed to forbid: no longer claimed ahead.
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Ahead("allow", OverlapPolicy::kForbid), kT0 + 6000, kT0); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_schedule_ahead, std::nullopt);
  EXPECT_TRUE(Batch([](Store& s) { return s.DueSchedules(kT0, kT0 + 10'000, 10); })->size() == 1u);
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Ahead("allow"), kT0 + 7000, kT0); }).ok());
  ASSERT_TRUE(Batch([](Store& s) { return s.DeleteSchedule("allow"); }).ok());
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_schedule_ahead, std::nullopt);
}

TEST_P(Conformance, WithdrawTakesBackOnlyDelayedSlotsStillAhead) {
  ASSERT_TRUE(Batch([](Store& s) { return s.PutSchedule(Ahead("nightly"), kT0, kT0); }).ok());
  ScheduleDef d = Ahead("nightly");
  auto claim = [&](TimeMs due, TimeMs now) {
    return *Batch([&](Store& s) { return s.ClaimSlot("nightly", due, SlotStatus::kFired, &d.job, "reports", "", now, due); });
  };
  SlotClaim past = claim(kT0, kT0);            // fired at its instant: a waiting job
  SlotClaim ahead1 = claim(kT0 + 1000, kT0);   // claimed ahead: delayed
  SlotClaim ahead2 = claim(kT0 + 2000, kT0);   // claimed ahead, then promoted by an operator
  ASSERT_TRUE(Batch([&](Store& s) { return s.Promote("reports", ahead2.job_id, kT0); }).ok());
  SlotClaim ahead3 = claim(kT0 + 3000, kT0);
  EXPECT_EQ(Batch([](Store& s) { return s.GetSchedule("nightly"); })->last_id, ahead3.job_id);
  EXPECT_EQ(Counts("reports"), C(2, 2, 0, 0, 0));
  Reopen();
  auto back = Batch([](Store& s) { return s.WithdrawSlots("nightly", kT0 + 500); });
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, (std::vector<TimeMs>{kT0 + 1000, kT0 + 3000}));
  EXPECT_EQ(Counts("reports"), C(2, 0, 0, 0, 0));
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetJob("reports", ahead1.job_id); }).status().IsNotFound());
  EXPECT_TRUE(Batch([&](Store& s) { return s.GetJob("reports", ahead3.job_id); }).status().IsNotFound());
  auto slots = Batch([](Store& s) { return s.ListSlots("nightly", 10); });
  ASSERT_EQ(slots->size(), 2u);
  EXPECT_EQ((*slots)[0].due_at, kT0 + 2000);
  EXPECT_EQ((*slots)[1].due_at, kT0);
  EXPECT_EQ((*slots)[1].job_id, past.job_id);
  // The latest job falls back to the newest slot left.
  EXPECT_EQ(Batch([](Store& s) { return s.GetSchedule("nightly"); })->last_id, ahead2.job_id);
  // A withdrawn slot can be claimed again; nothing else is taken back twice.
  EXPECT_TRUE(claim(kT0 + 1000, kT0 + 600).claimed);
  EXPECT_TRUE(Batch([](Store& s) { return s.WithdrawSlots("nightly", kT0 + 1000); })->empty());
  EXPECT_TRUE(Batch([](Store& s) { return s.WithdrawSlots("nobody", kT0); })->empty());
  // Rolled back: nothing of it stays.
  ASSERT_TRUE(store_->Begin().ok());
  EXPECT_EQ(store_->WithdrawSlots("nightly", kT0 + 500)->size(), 1u);
  store_->Rollback();
  EXPECT_EQ(Counts("reports"), C(2, 1, 0, 0, 0));
  EXPECT_EQ(Batch([](Store& s) { return s.ListSlots("nightly", 10); })->size(), 3u);
}

TEST_P(Conformance, ManyJobsDueAtOneInstantArePromotedInChunksEarliestFirst) {
  Batch([](Store& s) {
    for (int i = 0; i < 2500; ++i) {
      NewJob j{"tick", "{}", {}};
      j.opts.delay = i < 10 ? 500 : 1000;  // ten due earlier than the rest
      EXPECT_TRUE(s.Enqueue("burst", j, kT0).ok());
    }
    return Status::Ok();
  });
  DueWork first = Due(kT0 + 1000);
  EXPECT_GT(first.promoted, 0);
  EXPECT_LT(first.promoted, 2500);  // a bounded chunk: its commit makes these visible first
  auto d = Batch([](Store& s) { return s.NextDeadlines(); });
  ASSERT_TRUE(d->next_delayed.has_value());
  EXPECT_LE(*d->next_delayed, kT0 + 1000);  // the rest is still due: the engine runs again at once
  EXPECT_EQ(Counts("burst")[0], first.promoted);
  std::vector<Lease> ls = Take("burst", 10, kT0 + 1000);
  ASSERT_EQ(ls.size(), 10u);
  for (const Lease& l : ls) EXPECT_LE(std::stoll(l.id), 10) << "the earliest due were promoted first";
  int total = first.promoted, passes = 1;
  while (total < 2500 && passes < 100) {
    total += Due(kT0 + 1000).promoted;
    ++passes;
  }
  EXPECT_EQ(total, 2500);
  EXPECT_EQ(Batch([](Store& s) { return s.NextDeadlines(); })->next_delayed, std::nullopt);
}

}  // namespace cronq::testing
