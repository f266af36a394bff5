// Every (state, event) pair, legal or not, checked against a table written out
// independently of lifecycle.cc.
#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <tuple>

namespace cronq {
namespace {

using S = JobState;
using From = std::optional<JobState>;

// The expected legal moves; every other pair must be refused.
const std::map<std::pair<int, Event>, S>& Expected() {
  static const auto* table = [] {
    auto* t = new std::map<std::pair<int, Event>, S>;
    auto add = [&](From from, Event e, S to) { (*t)[{from ? static_cast<int>(*from) : -1, e}] = to; };
    add(std::nullopt, Event::kEnqueue, S::kWaiting);
    add(std::nullopt, Event::kEnqueueDelayed, S::kDelayed);
    add(S::kDelayed, Event::kPromote, S::kWaiting);
    add(S::kWaiting, Event::kLease, S::kActive);
    add(S::kDelayed, Event::kLeaseDue, S::kActive);
    add(S::kActive, Event::kExtend, S::kActive);
    add(S::kActive, Event::kComplete, S::kCompleted);
    add(S::kActive, Event::kRetryLater, S::kDelayed);
    add(S::kActive, Event::kRetryNow, S::kWaiting);
    add(S::kActive, Event::kFailFinal, S::kFailed);
    add(S::kActive, Event::kStallRequeue, S::kWaiting);
    add(S::kActive, Event::kStallFail, S::kFailed);
    add(S::kCompleted, Event::kOperatorRetry, S::kWaiting);
    add(S::kFailed, Event::kOperatorRetry, S::kWaiting);
    for (S s : {S::kWaiting, S::kDelayed, S::kCompleted, S::kFailed}) add(s, Event::kRemove, s);
    return t;
  }();
  return *table;
}

TEST(Lifecycle, EveryPairMatchesTheTable) {
  int legal = 0, illegal = 0;
  for (int f = -1; f < kJobStateCount; ++f) {
    From from = f < 0 ? From{} : From{static_cast<S>(f)};
    for (int ev = 0; ev < kEventCount; ++ev) {
      Event e = static_cast<Event>(ev);
      auto it = Expected().find({f, e});
      Result<JobState> r = Apply(from, e);
      if (it != Expected().end()) {
        ASSERT_TRUE(r.ok()) << "from " << f << " event " << EventName(e) << ": " << r.status().ToString();
        if (e != Event::kRemove) {
          EXPECT_EQ(*r, it->second) << EventName(e);
        }
        ++legal;
      } else {
        ASSERT_FALSE(r.ok()) << "from " << f << " event " << EventName(e) << " should be illegal";
        EXPECT_TRUE(r.status().IsConflict());
        ++illegal;
      }
    }
  }
  EXPECT_EQ(legal, 18);
  EXPECT_EQ(legal + illegal, (kJobStateCount + 1) * kEventCount);
}

TEST(Lifecycle, ActiveJobsCannotBeRemovedOrRetriedByOperators) {
  EXPECT_FALSE(IsLegal(S::kActive, Event::kRemove));
  EXPECT_FALSE(IsLegal(S::kActive, Event::kOperatorRetry));
  EXPECT_FALSE(IsLegal(S::kWaiting, Event::kOperatorRetry));
}

TEST(Lifecycle, FinishedJobsCannotBeAcknowledgedAgain) {
  for (S s : {S::kCompleted, S::kFailed, S::kWaiting, S::kDelayed}) {
    EXPECT_FALSE(IsLegal(s, Event::kComplete)) << StateName(s);
    EXPECT_FALSE(IsLegal(s, Event::kFailFinal)) << StateName(s);
    EXPECT_FALSE(IsLegal(s, Event::kExtend)) << StateName(s);
  }
}

TEST(Lifecycle, ErrorNamesTheStateAndEvent) {
  Result<JobState> r = Apply(S::kCompleted, Event::kComplete);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "cannot complete a job that is completed");
}

TEST(JobState, NamesRoundTrip) {
  for (int i = 0; i < kJobStateCount; ++i) {
    S s = static_cast<S>(i);
    EXPECT_EQ(ParseState(StateName(s)), s);
  }
  EXPECT_FALSE(ParseState("paused").has_value());
}

}  // namespace
}  // namespace cronq
