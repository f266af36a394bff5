// Operator actions and their audit entries share a batch; the engine's metrics
// count what committed batches did, with exact times from a manual clock.
#include <gtest/gtest.h>

#include <atomic>

#include "engine/engine.h"
#include "storage/forwarding_store.h"
#include "storage/sqlite_store.h"
#include "support/engine_call.h"
#include "support/temp_dir.h"

namespace cronq {
namespace {

using testing::Call;
using testing::TempDir;

// Refuses to append audit entries, as a broken disk would.
class NoAudit : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status AppendAudit(const AuditEntry&) override { return Status::Internal("injected audit failure"); }
};

class AuditMetrics : public ::testing::Test {
 protected:
  void Open(Store* wrap = nullptr) {
    store_ = std::move(OpenSqliteStore(SqliteOptions{dir_.File("cronq.db"), true, 8192})).value();
    EngineOptions o;
    o.log_jobs = false;
    o.on_batch = [this](const BatchReport& r) { reports_.fetch_add(static_cast<int>(r.ended.size() + r.started.size())); };
    engine_ = std::make_unique<Engine>(wrap ? *wrap : *store_, clock_, o);
    engine_->Start();
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
  }
  Lease TakeOne(const std::string& q) {
    auto l = Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{q, 1, 30'000, "w"}, 0, cb); });
    EXPECT_TRUE(l.ok() && l->size() == 1);
    return l.ok() && !l->empty() ? (*l)[0] : Lease{};
  }

  TempDir dir_;
  ManualClock clock_{1'750'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
  std::atomic<int> reports_{0};
};

TEST_F(AuditMetrics, AnActionAndItsAuditEntryCommitTogether) {
  Open();
  ASSERT_TRUE(Call<std::vector<EnqueueResult>>([&](auto cb) { engine_->Enqueue("q", {NewJob{"a", "{}", {}}}, cb); }).ok());
  Lease l = TakeOne("q");
  ASSERT_TRUE(Call<AttemptEnd>([&](auto cb) { engine_->Fail(FailSpec{"q", l.id, l.token, "x", "", true}, cb); }).ok());
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->Retry("q", l.id, cb, Actor{"ops", "admin"}); }).ok());
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->Promote("q", "404", cb, Actor{"ops", "admin"}); }).status().IsNotFound());
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetPaused("q", true, cb); }).ok());  // no actor: not recorded
  auto page = Call<AuditPage>([&](auto cb) { engine_->ListAudit(AuditQuery{}, cb); });
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].action, "job.retry");
  EXPECT_EQ(page->entries[0].target, "q/" + l.id);
  EXPECT_EQ(page->entries[0].actor, "ops");
  EXPECT_EQ(page->entries[0].at, clock_.Now());
}

TEST_F(AuditMetrics, AnActionWhoseAuditEntryCannotBeWrittenDoesNotHappen) {
  std::unique_ptr<Store> real = std::move(OpenSqliteStore(SqliteOptions{dir_.File("cronq.db"), true, 8192})).value();
  {
    Store& s = *real;
    ASSERT_TRUE(s.Begin().ok());
    ASSERT_TRUE(s.Enqueue("q", NewJob{"a", "{}", {}}, clock_.Now()).ok());
    ASSERT_TRUE(s.Commit().ok());
  }
  NoAudit faulty(real.get());
  EngineOptions o;
  o.log_jobs = false;
  engine_ = std::make_unique<Engine>(faulty, clock_, o);
  engine_->Start();
  auto r = Call<Empty>([&](auto cb) { engine_->SetPaused("q", true, cb, Actor{"ops", "admin"}); });
  EXPECT_FALSE(r.ok());
  auto q = Call<QueueInfo>([&](auto cb) { engine_->GetQueue("q", cb); });
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->paused) << "the pause committed without its audit entry";
  engine_->Stop();
}

TEST_F(AuditMetrics, MetricsCountCommittedWorkWithExactDurations) {
  Open();
  JobOptions two;
  two.attempts = 2;
  ASSERT_TRUE(Call<std::vector<EnqueueResult>>([&](auto cb) {
                engine_->Enqueue("q", {NewJob{"a", "{}", {}}, NewJob{"b", "{}", two}, NewJob{"c", "{}", {}}}, cb);
              }).ok());
  clock_.Advance(30);  // waited 30 ms
  Lease a = TakeOne("q");
  Lease b = TakeOne("q");
  clock_.Advance(200);  // ran 200 ms
  ASSERT_TRUE(Call<AttemptEnd>([&](auto cb) { engine_->Complete(CompleteSpec{"q", a.id, a.token, ""}, cb); }).ok());
  ASSERT_TRUE(Call<AttemptEnd>([&](auto cb) { engine_->Fail(FailSpec{"q", b.id, b.token, "x", "", false}, cb); }).ok());
  const MetricsSnapshot m = engine_->metrics().Snapshot();
  const QueueMetrics& qm = m.queues.at("q");
  EXPECT_EQ(qm.enqueued, 3u);
  EXPECT_EQ(qm.completed, 1u);
  EXPECT_EQ(qm.retried, 1u);
  EXPECT_EQ(qm.failed, 0u);
  EXPECT_EQ(qm.wait.count, 2u);
  EXPECT_DOUBLE_EQ(qm.wait.sum, 0.06);
  EXPECT_EQ(qm.wait.buckets[3], 2u);  // (0.025, 0.05]
  EXPECT_EQ(qm.processing.count, 2u);
  EXPECT_DOUBLE_EQ(qm.processing.sum, 0.4);
  EXPECT_EQ(qm.processing.buckets[5], 2u);  // (0.1, 0.25]
  const Throughput& tp = m.throughput.at("q");
  const MinuteCounts& now = tp[static_cast<size_t>((clock_.Now() / 60'000) % kThroughputMinutes)];
  EXPECT_EQ(now.completed, 1u);
  EXPECT_EQ(now.failed, 1u);
  EXPECT_EQ(reports_, 4);  // the observer saw two starts and two ends
}

}  // namespace
}  // namespace cronq
