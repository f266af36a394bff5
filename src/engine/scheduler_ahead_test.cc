// Slots claimed ahead of their due instant (EngineOptions::schedule_lead, 1 s by
// default): the job waits delayed and becomes available exactly at the due
// instant; a pause, delete or changed upsert before then leaves no fire; a
// restart in between fires once; forbid and replace still decide at the due
// instant. The engine on a real SQLite file with a manual clock.
#include <gtest/gtest.h>

#include <future>

#include "engine/scheduler_fixture.h"

namespace cronq {
namespace {

constexpr const char* kDue = "2026-06-01T12:01:00Z";

class SchedulerAheadTest : public SchedulerTest {
 protected:
  // Puts the every-minute schedule and moves to half a second before 12:01, where
  // its slot has been claimed ahead.
  void ClaimAhead(const ScheduleDef& d) {
    ASSERT_TRUE(Put(d).ok());
    AdvanceTo(At("2026-06-01T12:00:59.500Z"));
    ASSERT_EQ(JobsIn(JobState::kDelayed), 1);
  }
};

TEST_F(SchedulerAheadTest, AClaimedSlotBecomesAvailableExactlyAtItsDueInstant) {
  ClaimAhead(Def("* * * * *"));
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_EQ(v.slots[0].due_at, At(kDue));
  EXPECT_EQ(v.slots[0].status, SlotStatus::kFired);
  EXPECT_EQ(v.slots[0].handled_at, At(kDue));  // the job is in the queue, due exactly on time
  EXPECT_EQ(v.slots[0].claimed_at, At("2026-06-01T12:00:59.500Z"));
  EXPECT_EQ(v.state.next_due, At("2026-06-01T12:02:00Z"));
  EXPECT_TRUE(FetchNow()->empty());
  AdvanceTo(At("2026-06-01T12:00:59.999Z"));
  EXPECT_TRUE(FetchNow()->empty());

  // A worker parked on the queue gets the job at the due instant.
  std::promise<Result<std::vector<Lease>>> parked;
  engine_->Fetch(FetchSpec{"cron", 10, 600'000, "w"}, 600'000,
                 [&](Result<std::vector<Lease>> r) { parked.set_value(std::move(r)); });
  AdvanceTo(At("2026-06-01T12:00:59.999Z"));  // the fetch is parked once this batch ran
  AdvanceTo(At(kDue));
  auto f = parked.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Result<std::vector<Lease>> got = f.get();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].fire_id, "sync@2026-06-01T12:01:00Z");
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(View().slots.size(), 1u);
}

TEST_F(SchedulerAheadTest, PauseBeforeTheDueInstantTakesTheClaimBack) {
  ClaimAhead(Def("* * * * *"));
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", true, cb); }).ok());
  EXPECT_EQ(Jobs(), 0);
  EXPECT_TRUE(View().slots.empty());  // as if never claimed: nothing is recorded while paused
  AdvanceTo(At(kDue));
  EXPECT_EQ(Jobs(), 0);
  EXPECT_TRUE(FetchNow()->empty());
  // Resumed before 12:02: that slot is claimed ahead, and fires once.
  AdvanceTo(At("2026-06-01T12:01:30Z"));
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", false, cb); }).ok());
  AdvanceTo(At("2026-06-01T12:02:00Z"));
  auto l = FetchNow();
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].fire_id, "sync@2026-06-01T12:02:00Z");
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_EQ(v.slots[0].due_at, At("2026-06-01T12:02:00Z"));
}

TEST_F(SchedulerAheadTest, PauseAndResumeBeforeTheDueInstantClaimTheSlotAgainOnce) {
  ClaimAhead(Def("* * * * *"));
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", true, cb); }).ok());
  AdvanceTo(At("2026-06-01T12:00:59.700Z"));
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", false, cb); }).ok());
  AdvanceTo(At("2026-06-01T12:00:59.800Z"));
  EXPECT_EQ(JobsIn(JobState::kDelayed), 1);
  AdvanceTo(At(kDue));
  ASSERT_EQ(FetchNow()->size(), 1u);
  EXPECT_EQ(Jobs(), 1);
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_GE(v.slots[0].claimed_at, At("2026-06-01T12:00:59.700Z"));  // claimed again after the resume
  EXPECT_LT(v.slots[0].claimed_at, At(kDue));
}

TEST_F(SchedulerAheadTest, DeleteBeforeTheDueInstantLeavesNoJob) {
  ClaimAhead(Def("* * * * *"));
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->DeleteSchedule("sync", cb); }).ok());
  EXPECT_EQ(Jobs(), 0);
  AdvanceTo(At(kDue));
  EXPECT_EQ(Jobs(), 0);
}

TEST_F(SchedulerAheadTest, AChangedExpressionBeforeTheDueInstantLeavesNoStaleFire) {
  ClaimAhead(Def("* * * * *"));
  ASSERT_TRUE(Put(Def("*/2 * * * *")).ok());
  EXPECT_EQ(Jobs(), 0);
  EXPECT_TRUE(View().slots.empty());
  EXPECT_EQ(View().state.next_due, At("2026-06-01T12:02:00Z"));
  AdvanceTo(At(kDue));
  EXPECT_EQ(Jobs(), 0);
  AdvanceTo(At("2026-06-01T12:02:00Z"));
  EXPECT_EQ(JobsIn(JobState::kWaiting), 1);
  EXPECT_EQ(Jobs(), 1);
}

TEST_F(SchedulerAheadTest, AChangedTargetBeforeTheDueInstantFiresTheNewTargetOnce) {
  ClaimAhead(Def("* * * * *"));
  ScheduleDef d = Def("* * * * *");
  d.queue = "cron2";
  d.job.data = "{\"v\":2}";
  ASSERT_TRUE(Put(d).ok());
  EXPECT_EQ(Jobs("cron"), 0);
  // The withdrawn slot is claimed again (the next batch is still in its lead), for the new target.
  EXPECT_EQ(JobsIn(JobState::kDelayed, "cron2"), 1);
  AdvanceTo(At(kDue));
  EXPECT_EQ(Jobs("cron"), 0);
  auto l = FetchNow("cron2");
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].fire_id, "sync@2026-06-01T12:01:00Z");
  EXPECT_EQ((*l)[0].data, "{\"v\":2}");
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_EQ(v.slots[0].job_queue, "cron2");
}

TEST_F(SchedulerAheadTest, AnUnchangedUpsertKeepsTheClaim) {
  ClaimAhead(Def("* * * * *"));
  const std::string id = View().slots.at(0).job_id;
  ScheduleDef d = Def("* * * * *");
  d.policy.grace = 5'000;  // not something a slot that is not late depends on
  ASSERT_TRUE(Put(d).ok());
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_EQ(v.slots[0].job_id, id);
  AdvanceTo(At(kDue));
  auto l = FetchNow();
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].id, id);
  EXPECT_EQ(Jobs(), 1);
}

TEST_F(SchedulerAheadTest, ARestartBetweenTheClaimAndTheDueInstantFiresOnce) {
  ClaimAhead(Def("* * * * *"));
  Stop();
  Start();
  AdvanceTo(At("2026-06-01T12:00:59.900Z"));
  EXPECT_EQ(JobsIn(JobState::kDelayed), 1);
  AdvanceTo(At(kDue));
  ASSERT_EQ(FetchNow()->size(), 1u);
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(View().slots.size(), 1u);
}

TEST_F(SchedulerAheadTest, ForbidAndReplaceAreNotClaimedAhead) {
  for (OverlapPolicy p : {OverlapPolicy::kForbid, OverlapPolicy::kReplace}) {
    ScheduleDef d = Def("* * * * *");
    d.name = p == OverlapPolicy::kForbid ? "forbid" : "replace";
    d.policy.overlap = p;
    ASSERT_TRUE(Put(d).ok());
  }
  AdvanceTo(At("2026-06-01T12:00:59.500Z"));
  EXPECT_EQ(Jobs(), 0);
  EXPECT_TRUE(View("forbid").slots.empty());
  AdvanceTo(At(kDue));
  EXPECT_EQ(JobsIn(JobState::kWaiting), 2);
  for (const char* name : {"forbid", "replace"}) {
    ScheduleView v = View(name);
    ASSERT_EQ(v.slots.size(), 1u) << name;
    EXPECT_EQ(v.slots[0].handled_at, At(kDue)) << name;
    EXPECT_EQ(v.slots[0].claimed_at, At(kDue)) << name;
  }
}

TEST_F(SchedulerAheadTest, ASlotFoundLateIsRecordedWithItsLatenessNotAhead) {
  ASSERT_TRUE(Put(Def("* * * * *")).ok());
  AdvanceTo(At("2026-06-01T12:01:00.250Z"));  // the engine never looked in the lead window
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 1u);
  EXPECT_EQ(v.slots[0].handled_at - v.slots[0].due_at, 250);
  EXPECT_EQ(JobsIn(JobState::kWaiting), 1);
}

TEST_F(SchedulerAheadTest, ATriggerIsUnaffected) {
  ClaimAhead(Def("* * * * *"));
  auto c = Call<SlotClaim>([&](auto cb) { engine_->TriggerSchedule("sync", cb); });
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(JobsIn(JobState::kWaiting), 1);
  EXPECT_EQ(JobsIn(JobState::kDelayed), 1);
  AdvanceTo(At(kDue));
  EXPECT_EQ(JobsIn(JobState::kWaiting), 2);
  EXPECT_EQ(View().slots.size(), 2u);
}

}  // namespace
}  // namespace cronq
