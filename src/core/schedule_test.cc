// Missed-run policies and slot planning, with a simple "every minute" cron.
#include "core/schedule.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

constexpr TimeMs kMin = 60'000;
constexpr TimeMs kT0 = 1'800'000'000'000 - 1'800'000'000'000 % kMin;  // on a minute

std::optional<TimeMs> EveryMinute(TimeMs t) { return (t / kMin + 1) * kMin; }

std::vector<SlotAction> Actions(const Plan& p) {
  std::vector<SlotAction> out;
  for (const SlotPlan& s : p.slots) out.push_back(s.action);
  return out;
}

constexpr SlotAction F = SlotAction::kFire, M = SlotAction::kMissed;

TEST(Schedule, OnTimeSlotFiresAndNextIsTheFollowingMinute) {
  Plan p = PlanSlots(EveryMinute, kT0, kT0 + 3, SchedulePolicy{});
  ASSERT_EQ(p.slots.size(), 1u);
  EXPECT_EQ(p.slots[0].due, kT0);
  EXPECT_EQ(p.slots[0].action, F);
  EXPECT_EQ(p.next_due, kT0 + kMin);
}

TEST(Schedule, NothingDueYet) {
  Plan p = PlanSlots(EveryMinute, kT0, kT0 - 1, SchedulePolicy{});
  EXPECT_TRUE(p.slots.empty());
  EXPECT_EQ(p.next_due, kT0);
}

// Down from kT0 - 1 until kT0 + 4m30s: slots kT0 .. kT0+4m are due, all late.
TEST(Schedule, MissedPolicies) {
  const TimeMs now = kT0 + 4 * kMin + 30'000;
  SchedulePolicy skip{MissedPolicy::kSkip};
  EXPECT_EQ(Actions(PlanSlots(EveryMinute, kT0, now, skip)), (std::vector<SlotAction>{M, M, M, M, M}));
  SchedulePolicy once{MissedPolicy::kOnce};
  EXPECT_EQ(Actions(PlanSlots(EveryMinute, kT0, now, once)), (std::vector<SlotAction>{M, M, M, M, F}));
  SchedulePolicy all{MissedPolicy::kAll, 3};
  EXPECT_EQ(Actions(PlanSlots(EveryMinute, kT0, now, all)), (std::vector<SlotAction>{M, M, F, F, F}));
  SchedulePolicy within{MissedPolicy::kWithin, 10, 2 * kMin};
  EXPECT_EQ(Actions(PlanSlots(EveryMinute, kT0, now, within)), (std::vector<SlotAction>{M, M, M, F, F}));
  EXPECT_EQ(PlanSlots(EveryMinute, kT0, now, once).next_due, kT0 + 5 * kMin);
}

TEST(Schedule, GraceKeepsASlightlyLateSlotOnTime) {
  SchedulePolicy skip{MissedPolicy::kSkip};
  skip.grace = 1000;
  EXPECT_EQ(Actions(PlanSlots(EveryMinute, kT0, kT0 + 1000, skip)), (std::vector<SlotAction>{F}));
  EXPECT_EQ(Actions(PlanSlots(EveryMinute, kT0, kT0 + 1001, skip)), (std::vector<SlotAction>{M}));
}

TEST(Schedule, OnTimeSlotFiresBesideTheLatestMissedOne) {
  // Back exactly at a due instant after downtime: the missed slot runs once and so
  // does the slot that is due now.
  Plan p = PlanSlots(EveryMinute, kT0, kT0 + 3 * kMin, SchedulePolicy{MissedPolicy::kOnce});
  EXPECT_EQ(Actions(p), (std::vector<SlotAction>{M, M, F, F}));
}

TEST(Schedule, CapSplitsALongOutageAcrossCalls) {
  const TimeMs now = kT0 + 10 * kMin + 5'000;  // 11 slots due
  SchedulePolicy once{MissedPolicy::kOnce};
  Plan first = PlanSlots(EveryMinute, kT0, now, once, 4);
  EXPECT_EQ(Actions(first), (std::vector<SlotAction>{M, M, M, M}));
  ASSERT_EQ(first.next_due, kT0 + 4 * kMin);
  Plan second = PlanSlots(EveryMinute, *first.next_due, now, once, 4);
  EXPECT_EQ(Actions(second), (std::vector<SlotAction>{M, M, M, M}));
  Plan last = PlanSlots(EveryMinute, *second.next_due, now, once, 4);
  EXPECT_EQ(Actions(last), (std::vector<SlotAction>{M, M, F}));
  EXPECT_EQ(last.next_due, kT0 + 11 * kMin);
}

TEST(Schedule, AllFiresTheLatestSlotsAcrossChunks) {
  const TimeMs now = kT0 + 10 * kMin + 5'000;  // 11 late slots, planned 4 at a time
  SchedulePolicy all{MissedPolicy::kAll, 6};   // the last 6 must fire: slots 5..10
  std::vector<SlotAction> got;
  std::optional<TimeMs> d = kT0;
  while (d && *d <= now) {
    Plan plan = PlanSlots(EveryMinute, *d, now, all, 4);
    for (SlotAction a : Actions(plan)) got.push_back(a);
    d = plan.next_due;
  }
  EXPECT_EQ(got, (std::vector<SlotAction>{M, M, M, M, M, F, F, F, F, F, F}));
}

TEST(Schedule, WithinStillFiresInWindowSlotsOfALongOutage) {
  const TimeMs now = kT0 + 10 * kMin + 5'000;  // 11 slots due, planned 4 at a time
  SchedulePolicy within{MissedPolicy::kWithin, 10, 8 * kMin};
  Plan first = PlanSlots(EveryMinute, kT0, now, within, 4);
  EXPECT_EQ(Actions(first), (std::vector<SlotAction>{M, M, M, F}));  // kT0+3m is 7m05s late
}

TEST(Schedule, StartAndEndBoundTheSlots) {
  SchedulePolicy p;
  p.start_at = kT0 + 2 * kMin;
  EXPECT_EQ(FirstDue(EveryMinute, kT0, p), kT0 + 2 * kMin);  // exactly at start_at
  p.start_at = 0;
  EXPECT_EQ(FirstDue(EveryMinute, kT0, p), kT0 + kMin);      // strictly after now
  p.end_at = kT0 + 2 * kMin;
  Plan plan = PlanSlots(EveryMinute, kT0 + kMin, kT0 + 5 * kMin, p);
  ASSERT_EQ(plan.slots.size(), 2u);
  EXPECT_FALSE(plan.next_due.has_value());
  p.end_at = kT0 + 30'000;
  EXPECT_FALSE(FirstDue(EveryMinute, kT0, p).has_value());
}

TEST(Schedule, PolicyNamesAndValidation) {
  EXPECT_EQ(ParseMissedPolicy("within"), MissedPolicy::kWithin);
  EXPECT_FALSE(ParseMissedPolicy("sometimes").has_value());
  EXPECT_EQ(ParseOverlapPolicy("forbid"), OverlapPolicy::kForbid);
  SchedulePolicy p{MissedPolicy::kWithin};
  EXPECT_FALSE(ValidatePolicy(p).ok());
  p.within = 1000;
  EXPECT_TRUE(ValidatePolicy(p).ok());
  p.start_at = 10;
  p.end_at = 5;
  EXPECT_FALSE(ValidatePolicy(p).ok());
}

}  // namespace
}  // namespace cronq
