// A deterministic fuzz test for the parser (libFuzzer needs clang; see
// fuzz/cron_parse_fuzz.cc for that entry), plus a rough timing check.
//
// For about two seconds: garble valid expressions and throw random bytes at
// ParseCron. Each input must either fail with InvalidArgument or give a schedule
// whose NextAfter answers, in order, strictly after its argument.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/cron/cron_schedule.h"
#include "core/cron/cron_test_gen.h"

namespace cronq {
namespace {

const std::vector<std::string> kSeeds = {
    "* * * * *", "*/15 0-6 * * MON-FRI", "0 30 2 L * ?", "0 0 15W,LW JAN-MAR 5L", "5,10-20/3 */2 1#2 * 1#3",
    "@daily", "@hourly", "0 0 29 2 *", "59 59 23 31 12 SUN#5", "0 0 ? FEB 1#5", "1/7 2/5 3/4 4/3 5/2 6/2"};
const std::string kAlphabet = "0123456789*/-,#?@LW JANFEBMONSUNxyz\t";

std::string Mutate(std::mt19937& rng, std::string s) {
  int edits = Pick(rng, 1, 4);
  for (int i = 0; i < edits; ++i) {
    size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 5) {
      case 0: s.insert(at, 1, kAlphabet[rng() % kAlphabet.size()]); break;
      case 1: if (at < s.size()) s.erase(at, 1); break;
      case 2: if (at < s.size()) s[at] = kAlphabet[rng() % kAlphabet.size()]; break;
      case 3: if (at < s.size()) s[at] = char(rng() % 256); break;
      default: s.insert(at, s.substr(rng() % (s.size() + 1), Pick(rng, 0, 6))); break;
    }
  }
  return s;
}

std::string RandomBytes(std::mt19937& rng) {
  std::string s(rng() % 40, '\0');
  for (char& c : s) c = rng() % 2 ? kAlphabet[rng() % kAlphabet.size()] : char(rng() % 256);
  return s;
}

TEST(CronFuzz, GarbledInputNeverCrashesOrHangs) {
  std::mt19937 rng(1234);
  const char* zones[] = {"UTC", "America/New_York", "Australia/Lord_Howe", "Europe/London"};
  const auto stop = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int inputs = 0, parsed = 0;
  double worst_us = 0;
  while (std::chrono::steady_clock::now() < stop) {
    std::string text;
    switch (rng() % 3) {
      case 0: text = Mutate(rng, PickOf(rng, kSeeds)); break;
      case 1: text = RandomBytes(rng); break;
      default: text = Mutate(rng, RandomCronText(rng, Pick(rng, 1, 12), Pick(rng, 1, 28))); break;
    }
    ++inputs;
    Result<CronSchedule> s = CronSchedule::Create(text, zones[rng() % 4]);
    if (!s.ok()) {
      ASSERT_TRUE(s.status().IsInvalidArgument()) << text;
      ASSERT_FALSE(s.status().message().empty());
      continue;
    }
    ++parsed;
    TimeMs t = TimeMs(rng() % 4'000'000'000) * 1000 - 1'000'000'000'000;  // 1938..2095
    for (int i = 0; i < 3; ++i) {
      auto begin = std::chrono::steady_clock::now();
      std::optional<TimeMs> next = s->NextAfter(t);
      worst_us = std::max(worst_us, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - begin).count());
      if (!next) break;
      ASSERT_GT(*next, t) << text;
      t = *next;
    }
  }
  std::printf("cron fuzz: %d inputs, %d parsed, slowest NextAfter %.0f us\n", inputs, parsed, worst_us);
  EXPECT_GT(parsed, 100);
  EXPECT_LT(worst_us, 500'000.0);  // generous: a hang would show as seconds
}

// Rough cost of NextAfter; the numbers are printed for the record. The bound is
// loose so a slow CI machine does not fail it, yet catches a second-by-second scan.
TEST(CronTiming, NextAfterTakesMicroseconds) {
  struct Case { const char* expr; const char* zone; };
  const Case cases[] = {{"*/5 * * * *", "UTC"},        {"30 2 * * *", "America/New_York"},
                        {"0 0 29 2 *", "UTC"},         {"0 0 ? 2 1#5", "Europe/London"},
                        {"0 0 30 2 *", "UTC"},         {"*/10 2 * * *", "Australia/Lord_Howe"},
                        {"0 0 LW * *", "America/New_York"},
                        {"*/5 2 ? 3 0#2", "America/New_York"}};  // only in DST gaps until 2037
  for (const Case& c : cases) {
    Result<CronSchedule> s = CronSchedule::Create(c.expr, c.zone);
    ASSERT_TRUE(s.ok());
    const int n = 2000;
    TimeMs t = 1767225600000;  // 2026-01-01
    auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      std::optional<TimeMs> next = s->NextAfter(t);
      t = next ? *next : t + 3'600'000;
      if (t > 4'000'000'000'000) t = 1767225600000;  // stay within 2100 for rare ones
    }
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - begin).count() / n;
    std::printf("NextAfter %-22s %-20s %8.2f us\n", c.expr, c.zone, us);
    EXPECT_LT(us, 2000.0) << c.expr;
  }
}

}  // namespace
}  // namespace cronq
