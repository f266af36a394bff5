// Test fixture shared by the scheduler tests: the engine on a real SQLite file
// with a manual clock.
#pragma once

#include <gtest/gtest.h>

#include "core/cron/iso8601.h"
#include "engine/engine.h"
#include "storage/sqlite_store.h"
#include "support/engine_call.h"
#include "support/temp_dir.h"

namespace cronq {

using testing::Call;
using testing::TempDir;

inline TimeMs At(const char* iso) { return *ParseIso8601(iso); }

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }
  void Start() {
    store_ = std::move(OpenSqliteStore(SqliteOptions{dir_.File("cronq.db"), true, 8192})).value();
    engine_ = std::make_unique<Engine>(*store_, clock_, EngineOptions{{}, 2048, false});
    engine_->Start();
  }
  void Stop() {
    if (engine_) engine_->Stop();
    engine_.reset();
    store_.reset();
  }
  // Moves the clock and lets the engine run what became due.
  void AdvanceTo(TimeMs t) {
    clock_.Set(t);
    engine_->Poke();
    (void)Call<std::vector<QueueInfo>>([&](auto cb) { engine_->ListQueues(cb); });
  }
  ScheduleDef Def(const std::string& expr, MissedPolicy missed = MissedPolicy::kOnce) {
    ScheduleDef d;
    d.name = "sync";
    d.expr = expr;
    d.tz = "UTC";
    d.queue = "cron";
    d.job = NewJob{"sync", "{}", {}};
    d.policy.missed = missed;
    return d;
  }
  Result<ScheduleView> Put(const ScheduleDef& d) {
    return Call<ScheduleView>([&](auto cb) { engine_->PutSchedule(d, cb); });
  }
  ScheduleView View(const std::string& name = "sync") {
    return *Call<ScheduleView>([&](auto cb) { engine_->GetSchedule(name, 100, cb); });
  }
  int64_t Jobs(const std::string& queue = "cron") {
    auto q = Call<QueueInfo>([&](auto cb) { engine_->GetQueue(queue, cb); });
    if (!q.ok()) return 0;
    int64_t n = 0;
    for (int64_t c : q->counts) n += c;
    return n;
  }
  int64_t JobsIn(JobState state, const std::string& queue = "cron") {
    auto q = Call<QueueInfo>([&](auto cb) { engine_->GetQueue(queue, cb); });
    return q.ok() ? q->counts[static_cast<size_t>(state)] : 0;
  }
  Result<std::vector<Lease>> FetchNow(const std::string& queue = "cron") {
    return Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{queue, 10, 600'000, "w"}, 0, cb); });
  }
  int Count(const ScheduleView& v, SlotStatus s) {
    int n = 0;
    for (const SlotRecord& r : v.slots) n += r.status == s;
    return n;
  }

  TempDir dir_;
  ManualClock clock_{At("2026-06-01T12:00:30Z")};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace cronq
