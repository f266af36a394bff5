#include "api/login_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace cronq::api {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;

TEST(LoginLimiter, RefusesAfterMaxFailuresUntilTheOldestIsAWindowOld) {
  LoginLimiter l({3, 60'000, 100});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(l.Blocked("10.0.0.1", kT0 + i * 1000)) << "failure " << i;
    l.Failed("10.0.0.1", kT0 + i * 1000);
  }
  std::optional<Millis> wait = l.Blocked("10.0.0.1", kT0 + 2000);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 58'000);  // the first failure (t0) leaves the window at t0 + 60 s
  EXPECT_EQ(l.Blocked("10.0.0.1", kT0 + 59'999), 1);
  EXPECT_FALSE(l.Blocked("10.0.0.2", kT0 + 2000)) << "another address has its own budget";
  // The window slides: at t0 + 60 s one failure has left it, one more try is allowed.
  EXPECT_FALSE(l.Blocked("10.0.0.1", kT0 + 60'000));
  l.Failed("10.0.0.1", kT0 + 60'000);
  EXPECT_EQ(l.Blocked("10.0.0.1", kT0 + 60'000), 1000);  // now the failure at t0 + 1 s is the oldest
  // Once the window has passed the last failure, the address is forgotten.
  EXPECT_FALSE(l.Blocked("10.0.0.1", kT0 + 120'000));
  EXPECT_EQ(l.tracked(), 0u);
}

TEST(LoginLimiter, FailuresSpreadWiderThanTheWindowNeverBlock) {
  LoginLimiter l({5, 60'000, 100});
  for (int i = 0; i < 50; ++i) {
    ASSERT_FALSE(l.Blocked("10.0.0.1", kT0 + i * 15'000)) << "failure " << i;  // 4 per minute
    l.Failed("10.0.0.1", kT0 + i * 15'000);
  }
}

TEST(LoginLimiter, TracksABoundedNumberOfAddressesDroppingTheStalest) {
  LoginLimiter l({2, 60'000, 3});
  l.Failed("a", kT0);
  l.Failed("a", kT0 + 1);  // a: blocked
  l.Failed("b", kT0 + 2);
  l.Failed("c", kT0 + 3);
  EXPECT_EQ(l.tracked(), 3u);
  l.Failed("d", kT0 + 4);  // full, none expired: the address whose last failure is oldest (a) goes
  EXPECT_EQ(l.tracked(), 3u);
  EXPECT_FALSE(l.Blocked("a", kT0 + 5));
  l.Failed("b", kT0 + 6);
  EXPECT_TRUE(l.Blocked("b", kT0 + 6));
  // After the window every old entry is dropped at once to make room.
  l.Failed("e", kT0 + 60'005);
  EXPECT_EQ(l.tracked(), 2u);  // b (failure at +6 still in the window) and e
  for (int i = 0; i < 1000; ++i) l.Failed("x" + std::to_string(i), kT0 + 70'000 + i);
  EXPECT_EQ(l.tracked(), 3u);
}

TEST(LoginLimiter, TheKeyIsTheAddressWithoutPortAndAnIpv6Slash64) {
  EXPECT_EQ(LoginClientKey("127.0.0.1:53412"), "127.0.0.1");
  EXPECT_EQ(LoginClientKey("[2001:db8:1:2:3:4:5:6]:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginClientKey("[2001:db8:1:2:ffff::9]:1"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginClientKey("[::ffff:10.1.2.3]:80"), "10.1.2.3");
  EXPECT_EQ(LoginClientKey("[::1]:7700"), "::/64");
  EXPECT_EQ(LoginClientKey(""), "");
  EXPECT_EQ(LoginClientKey("not an address"), "not an address");
}

}  // namespace
}  // namespace cronq::api
