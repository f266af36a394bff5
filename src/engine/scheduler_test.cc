// Schedules end to end through the engine on a real SQLite file, with a manual
// clock: restarts across due slots under each missed-run policy, overlap,
// concurrent upserts, DST, triggers.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "engine/scheduler_fixture.h"

namespace cronq {
namespace {

TEST_F(SchedulerTest, FiresEachSlotOnceWithItsFireId) {
  auto v = Put(Def("* * * * *"));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->state.next_due, At("2026-06-01T12:01:00Z"));
  AdvanceTo(At("2026-06-01T12:00:58.999Z"));  // more than schedule_lead (1 s) before the slot
  EXPECT_EQ(Jobs(), 0);
  AdvanceTo(At("2026-06-01T12:00:59Z"));  // claimed ahead: its job waits, delayed, for 12:01
  EXPECT_EQ(JobsIn(JobState::kDelayed), 1);
  EXPECT_EQ(JobsIn(JobState::kWaiting), 0);
  AdvanceTo(At("2026-06-01T12:01:00Z"));
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(JobsIn(JobState::kWaiting), 1);
  AdvanceTo(At("2026-06-01T12:01:30Z"));
  EXPECT_EQ(Jobs(), 1);
  AdvanceTo(At("2026-06-01T12:02:00.004Z"));
  EXPECT_EQ(Jobs(), 2);
  ScheduleView view = View();
  ASSERT_EQ(view.slots.size(), 2u);
  EXPECT_EQ(view.slots[0].due_at, At("2026-06-01T12:02:00Z"));
  EXPECT_EQ(view.slots[0].handled_at - view.slots[0].due_at, 4);  // lateness
  auto leases = Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{"cron", 5, 30'000, "w"}, 0, cb); });
  ASSERT_EQ(leases->size(), 2u);
  EXPECT_EQ((*leases)[0].fire_id, "sync@2026-06-01T12:01:00Z");
  auto done = Call<AttemptEnd>([&](auto cb) {
    engine_->Complete(CompleteSpec{"cron", (*leases)[0].id, (*leases)[0].token, ""}, cb);
  });
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(View().slots[1].status, SlotStatus::kCompleted);
}

// Down from 12:00:30 to 12:05:30: slots 12:01 .. 12:05 were missed.
struct PolicyCase {
  MissedPolicy policy;
  int max_runs;
  Millis within;
  int fired, missed;
};

class MissedPolicyTest : public SchedulerTest, public ::testing::WithParamInterface<PolicyCase> {};

TEST_P(MissedPolicyTest, RestartAcrossDueSlots) {
  const PolicyCase& c = GetParam();
  ScheduleDef d = Def("* * * * *", c.policy);
  d.policy.max_runs = c.max_runs;
  d.policy.within = c.within;
  ASSERT_TRUE(Put(d).ok());
  Stop();
  clock_.Set(At("2026-06-01T12:05:30Z"));
  Start();
  AdvanceTo(At("2026-06-01T12:05:30Z"));
  ScheduleView v = View();
  EXPECT_EQ(Count(v, SlotStatus::kFired), c.fired);
  EXPECT_EQ(Count(v, SlotStatus::kMissed), c.missed);
  EXPECT_EQ(Jobs(), c.fired);
  EXPECT_EQ(v.state.next_due, At("2026-06-01T12:06:00Z"));
  // A second restart changes nothing: every slot was handled once.
  Stop();
  Start();
  AdvanceTo(At("2026-06-01T12:05:40Z"));
  EXPECT_EQ(Jobs(), c.fired);
  EXPECT_EQ(View().slots.size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Policies, MissedPolicyTest,
                         ::testing::Values(PolicyCase{MissedPolicy::kSkip, 10, 0, 0, 5},
                                           PolicyCase{MissedPolicy::kOnce, 10, 0, 1, 4},
                                           PolicyCase{MissedPolicy::kAll, 3, 0, 3, 2},
                                           PolicyCase{MissedPolicy::kAll, 10, 0, 5, 0},
                                           PolicyCase{MissedPolicy::kWithin, 10, 120'000, 2, 3}));

TEST_F(SchedulerTest, ForbidOverlapSkipsWhileThePreviousRunIsActive) {
  ScheduleDef d = Def("* * * * *");
  d.policy.overlap = OverlapPolicy::kForbid;
  ASSERT_TRUE(Put(d).ok());
  AdvanceTo(At("2026-06-01T12:01:00Z"));
  auto l = Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{"cron", 1, 600'000, "w"}, 0, cb); });
  ASSERT_EQ(l->size(), 1u);
  AdvanceTo(At("2026-06-01T12:02:00Z"));
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 2u);
  EXPECT_EQ(v.slots[0].status, SlotStatus::kSkipped);
  EXPECT_NE(v.slots[0].note.find("overlap"), std::string::npos);
  EXPECT_EQ(Jobs(), 1);
  ASSERT_TRUE(Call<AttemptEnd>([&](auto cb) {
                engine_->Complete(CompleteSpec{"cron", (*l)[0].id, (*l)[0].token, ""}, cb);
              }).ok());
  AdvanceTo(At("2026-06-01T12:03:00Z"));
  EXPECT_EQ(View().slots[0].status, SlotStatus::kFired);
  EXPECT_EQ(Jobs(), 2);
}

TEST_F(SchedulerTest, ReplaceOverlapRemovesAPreviousRunThatNeverStarted) {
  ScheduleDef d = Def("* * * * *");
  d.policy.overlap = OverlapPolicy::kReplace;
  ASSERT_TRUE(Put(d).ok());
  AdvanceTo(At("2026-06-01T12:01:00Z"));
  AdvanceTo(At("2026-06-01T12:02:00Z"));
  ScheduleView v = View();
  ASSERT_EQ(v.slots.size(), 2u);
  EXPECT_EQ(v.slots[0].status, SlotStatus::kFired);
  EXPECT_EQ(v.slots[1].status, SlotStatus::kSkipped);  // its job was removed
  auto q = Call<QueueInfo>([&](auto cb) { engine_->GetQueue("cron", cb); });
  EXPECT_EQ(q->counts[static_cast<int>(JobState::kWaiting)], 1);
}

TEST_F(SchedulerTest, ConcurrentUpsertsLeaveOneScheduleAndOneFirePerSlot) {
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) ts.emplace_back([&] { EXPECT_TRUE(Put(Def("*/2 * * * *")).ok()); });
  for (auto& t : ts) t.join();
  auto all = Call<std::vector<ScheduleState>>([&](auto cb) { engine_->ListSchedules(cb); });
  ASSERT_EQ(all->size(), 1u);
  AdvanceTo(At("2026-06-01T12:02:00Z"));
  ASSERT_TRUE(Put(Def("*/2 * * * *")).ok());  // a redeploy upserting the same definition
  AdvanceTo(At("2026-06-01T12:02:10Z"));
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(View().state.next_due, At("2026-06-01T12:04:00Z"));
}

TEST_F(SchedulerTest, SpringForwardFiresOnceAfterTheGap) {
  clock_.Set(At("2026-03-08T05:00:00Z"));  // 00:00 EST
  ScheduleDef d = Def("30 2 * * *");
  d.tz = "America/New_York";
  auto v = Put(d);
  EXPECT_EQ(v->state.next_due, At("2026-03-08T07:00:00Z"));  // 02:30 does not exist: 03:00 EDT
  AdvanceTo(At("2026-03-08T07:00:00Z"));
  AdvanceTo(At("2026-03-08T08:00:00Z"));
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(View().state.next_due, At("2026-03-09T06:30:00Z"));
}

TEST_F(SchedulerTest, FallBackFiresTheRepeatedHourOnce) {
  clock_.Set(At("2026-11-01T04:00:00Z"));  // 00:00 EDT
  ScheduleDef d = Def("30 1 * * *");
  d.tz = "America/New_York";
  ASSERT_TRUE(Put(d).ok());
  AdvanceTo(At("2026-11-01T05:30:00Z"));  // 01:30 EDT
  AdvanceTo(At("2026-11-01T06:30:00Z"));  // 01:30 EST: the repeat
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(View().slots[0].due_at, At("2026-11-01T05:30:00Z"));
}

TEST_F(SchedulerTest, AnUpsertWithoutPausedKeepsAnOperatorsPause) {
  ASSERT_TRUE(Put(Def("* * * * *")).ok());
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", true, cb); }).ok());
  ScheduleDef redeploy = Def("* * * * *");
  redeploy.paused_given = false;
  ASSERT_TRUE(Put(redeploy).ok());
  EXPECT_TRUE(View().state.def.paused);
  redeploy.paused_given = true;  // an explicit paused=false resumes
  ASSERT_TRUE(Put(redeploy).ok());
  EXPECT_FALSE(View().state.def.paused);
}

TEST_F(SchedulerTest, TwoTriggersWithinASecondHaveDistinctFireIds) {
  ASSERT_TRUE(Put(Def("0 0 1 1 *")).ok());
  clock_.Set(At("2026-06-01T12:00:30.100Z"));
  ASSERT_TRUE(Call<SlotClaim>([&](auto cb) { engine_->TriggerSchedule("sync", cb); }).ok());
  clock_.Set(At("2026-06-01T12:00:30.250Z"));
  ASSERT_TRUE(Call<SlotClaim>([&](auto cb) { engine_->TriggerSchedule("sync", cb); }).ok());
  auto leases = Call<std::vector<Lease>>([&](auto cb) { engine_->Fetch(FetchSpec{"cron", 5, 30'000, "w"}, 0, cb); });
  ASSERT_EQ(leases->size(), 2u);
  EXPECT_EQ((*leases)[0].fire_id, "sync@2026-06-01T12:00:30.100Z");
  EXPECT_EQ((*leases)[1].fire_id, "sync@2026-06-01T12:00:30.250Z");
}

TEST_F(SchedulerTest, TriggerPauseResumeAndDelete) {
  ASSERT_TRUE(Put(Def("0 0 1 1 *")).ok());
  auto c = Call<SlotClaim>([&](auto cb) { engine_->TriggerSchedule("sync", cb); });
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->claimed);
  EXPECT_EQ(Jobs(), 1);
  EXPECT_EQ(View().slots[0].note, "manual trigger");
  ASSERT_TRUE(Put(Def("* * * * *")).ok());
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", true, cb); }).ok());
  AdvanceTo(At("2026-06-01T12:10:00Z"));
  EXPECT_EQ(Jobs(), 1);  // paused: nothing fires, nothing is "missed"
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->SetSchedulePaused("sync", false, cb); }).ok());
  EXPECT_EQ(View().state.next_due, At("2026-06-01T12:11:00Z"));
  AdvanceTo(At("2026-06-01T12:11:00Z"));
  EXPECT_EQ(Jobs(), 2);
  ASSERT_TRUE(Call<Empty>([&](auto cb) { engine_->DeleteSchedule("sync", cb); }).ok());
  EXPECT_TRUE(Call<ScheduleView>([&](auto cb) { engine_->GetSchedule("sync", 10, cb); }).status().IsNotFound());
  AdvanceTo(At("2026-06-01T12:12:00Z"));
  EXPECT_EQ(Jobs(), 2);
}

}  // namespace
}  // namespace cronq
