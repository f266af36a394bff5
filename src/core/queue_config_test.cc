#include "core/queue_config.h"

#include <gtest/gtest.h>

namespace cronq {
namespace {

TEST(ApplyJobDefaults, FillsOnlyWhatTheJobLeftUnset) {
  JobDefaults d;
  d.attempts = 5;
  d.backoff = Backoff{Backoff::Type::kExponential, 1000, 0, 0};
  NewJob unset{"n", "null", {}};
  unset.attempts_set = unset.backoff_set = false;
  ApplyJobDefaults(d, unset);
  EXPECT_EQ(unset.opts.attempts, 5);
  EXPECT_EQ(unset.opts.backoff.type, Backoff::Type::kExponential);

  NewJob own{"n", "null", {}};
  own.opts.attempts = 2;  // attempts_set / backoff_set default to true
  ApplyJobDefaults(d, own);
  EXPECT_EQ(own.opts.attempts, 2);
  EXPECT_EQ(own.opts.backoff.type, Backoff::Type::kNone);

  NewJob partly{"n", "null", {}};
  partly.backoff_set = false;
  ApplyJobDefaults(JobDefaults{std::nullopt, Backoff{Backoff::Type::kFixed, 7, 0, 0}}, partly);
  EXPECT_EQ(partly.opts.attempts, 1);
  EXPECT_EQ(partly.opts.backoff.delay, 7);
}

}  // namespace
}  // namespace cronq
