#include "core/validate.h"

#include <gtest/gtest.h>

#include "core/lease.h"
#include "core/limits.h"

namespace cronq {
namespace {

TEST(Validate, QueueNames) {
  EXPECT_TRUE(ValidateQueueName("email").ok());
  EXPECT_TRUE(ValidateQueueName("tenant-1:reports.v2_x").ok());
  EXPECT_FALSE(ValidateQueueName("").ok());
  EXPECT_FALSE(ValidateQueueName("a b").ok());
  EXPECT_FALSE(ValidateQueueName("a/b").ok());
  EXPECT_FALSE(ValidateQueueName("ünï").ok());
  EXPECT_FALSE(ValidateQueueName(std::string(limits::kQueueName + 1, 'q')).ok());
  EXPECT_TRUE(ValidateQueueName(std::string(limits::kQueueName, 'q')).ok());
}

TEST(Validate, JobIdsMustNotLookLikeServerIds) {
  EXPECT_TRUE(ValidateJobId("order-42").ok());
  EXPECT_FALSE(ValidateJobId("42").ok());
  EXPECT_FALSE(ValidateJobId("").ok());
  EXPECT_FALSE(ValidateJobId("a/b").ok());
}

TEST(Validate, NewJobOptions) {
  NewJob j{"send", "{}", {}};
  EXPECT_TRUE(ValidateNewJob(j).ok());
  j.opts.attempts = 0;
  EXPECT_FALSE(ValidateNewJob(j).ok());
  j.opts.attempts = 3;
  j.opts.backoff.jitter = 1.5;
  EXPECT_FALSE(ValidateNewJob(j).ok());
  j.opts.backoff.jitter = 0.2;
  j.opts.priority = -1;
  EXPECT_FALSE(ValidateNewJob(j).ok());
  j.opts.priority = 5;
  EXPECT_TRUE(ValidateNewJob(j).ok());
  j.name = "";
  EXPECT_FALSE(ValidateNewJob(j).ok());
  j.name = "x";
  j.data = std::string(limits::kJobData + 1, ' ');
  EXPECT_EQ(ValidateNewJob(j).code(), Code::kTooLarge);
}

TEST(Validate, Durations) {
  EXPECT_EQ(*ParseDuration("5000"), 5000);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("10s"), 10'000);
  EXPECT_EQ(*ParseDuration("5m"), 300'000);
  EXPECT_EQ(*ParseDuration("2h"), 7'200'000);
  EXPECT_EQ(*ParseDuration("1d"), 86'400'000);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_FALSE(ParseDuration("10 s").ok());
  EXPECT_FALSE(ParseDuration("10y").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999").ok());
}

TEST(Lease, TimeoutBoundsTheLeaseAndExtendNeverMovesIt) {
  LeaseWindow w = ComputeLease(1000, 30'000, 1000, 0);
  EXPECT_EQ(w.expires, 31'000);
  EXPECT_FALSE(w.by_timeout);
  w = ComputeLease(1000, 30'000, 1000, 5'000);
  EXPECT_EQ(w.expires, 6'000);
  EXPECT_TRUE(w.by_timeout);
  // A heartbeat at t=4000 with a 30 s lock still ends at the timeout.
  w = ComputeLease(4000, 30'000, 1000, 5'000);
  EXPECT_EQ(w.expires, 6'000);
  EXPECT_TRUE(w.by_timeout);
  // A short lock inside the timeout is a plain lease.
  w = ComputeLease(1000, 1'000, 1000, 5'000);
  EXPECT_EQ(w.expires, 2'000);
  EXPECT_FALSE(w.by_timeout);
}

}  // namespace
}  // namespace cronq
