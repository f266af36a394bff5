#include "core/backoff.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

Backoff Exp(Millis d, double jitter = 0, Millis cap = 0) {
  return Backoff{Backoff::Type::kExponential, d, jitter, cap};
}

TEST(Backoff, FixedIsConstant) {
  Backoff b{Backoff::Type::kFixed, 1500, 0, 0};
  for (int n = 1; n <= 6; ++n) EXPECT_EQ(BackoffDelay(b, n, 0.5), 1500);
}

TEST(Backoff, ExponentialDoublesPerAttempt) {
  // BullMQ's schedule: delay * 2^(attemptsMade-1).
  const Millis expected[] = {1000, 2000, 4000, 8000, 16000, 32000};
  for (int n = 1; n <= 6; ++n) EXPECT_EQ(BackoffDelay(Exp(1000), n, 0), expected[n - 1]) << n;
}

TEST(Backoff, ExponentialIsCappedWithoutOverflow) {
  EXPECT_EQ(BackoffDelay(Exp(1000, 0, 10'000), 10, 0), 10'000);
  EXPECT_EQ(BackoffDelay(Exp(1000), 200, 0), kMaxBackoff);
  EXPECT_EQ(BackoffDelay(Exp(1000, 0, kMaxBackoff * 10), 500, 0), kMaxBackoff);
}

TEST(Backoff, JitterStaysWithinItsBand) {
  Backoff b = Exp(1000, 0.5);
  EXPECT_EQ(BackoffDelay(b, 1, 0.0), 1000);
  EXPECT_EQ(BackoffDelay(b, 1, 0.999999), 501);
  EXPECT_EQ(BackoffDelay(b, 2, 0.5), 1500);
  Backoff full = Exp(1000, 1.0);
  EXPECT_GE(BackoffDelay(full, 1, 0.9999), 0);
}

TEST(Backoff, NoneMeansImmediate) {
  EXPECT_EQ(BackoffDelay(Backoff{}, 3, 0.3), 0);
}

TEST(DecideAfterFailure, RetriesUntilAttemptsRunOut) {
  JobOptions o;
  o.attempts = 3;
  o.backoff = Exp(5000);
  auto d1 = DecideAfterFailure(o, 1, false, 100, 0);
  EXPECT_EQ(d1.event, Event::kRetryLater);
  EXPECT_EQ(d1.run_at, 5100);
  auto d2 = DecideAfterFailure(o, 2, false, 100, 0);
  EXPECT_EQ(d2.event, Event::kRetryLater);
  EXPECT_EQ(d2.run_at, 10100);
  EXPECT_EQ(DecideAfterFailure(o, 3, false, 100, 0).event, Event::kFailFinal);
}

TEST(DecideAfterFailure, UnrecoverableSkipsRetries) {
  JobOptions o;
  o.attempts = 10;
  EXPECT_EQ(DecideAfterFailure(o, 1, true, 0, 0).event, Event::kFailFinal);
}

TEST(DecideAfterFailure, NoBackoffRetriesNow) {
  JobOptions o;
  o.attempts = 2;
  EXPECT_EQ(DecideAfterFailure(o, 1, false, 0, 0).event, Event::kRetryNow);
}

TEST(DecideAfterFailure, AnExplicitRetryDelayReplacesTheBackoff) {
  JobOptions o;
  o.attempts = 3;
  o.backoff = Exp(5000);
  auto d = DecideAfterFailure(o, 1, false, 100, 0, 30'000);
  EXPECT_EQ(d.event, Event::kRetryLater);
  EXPECT_EQ(d.run_at, 30'100);
  EXPECT_EQ(DecideAfterFailure(o, 1, false, 100, 0, 0).event, Event::kRetryNow);
  EXPECT_EQ(DecideAfterFailure(o, 3, false, 100, 0, 1000).event, Event::kFailFinal) << "no attempt left";
  EXPECT_EQ(DecideAfterFailure(o, 1, true, 100, 0, 1000).event, Event::kFailFinal);
}

TEST(DecideAfterStall, FailsAfterMaxStalls) {
  JobOptions o;
  o.max_stalls = 1;
  EXPECT_EQ(DecideAfterStall(o, 1), Event::kStallRequeue);
  EXPECT_EQ(DecideAfterStall(o, 2), Event::kStallFail);
  o.max_stalls = 0;
  EXPECT_EQ(DecideAfterStall(o, 1), Event::kStallFail);
}

}  // namespace
}  // namespace cronq
