// CronSchedule::NextAfter in process: how many "next fire time" answers per
// second the cron engine gives, without the process start that dominates
// `cronq cron next`. Each iteration asks for the instant after the previous
// answer (as the scheduler walks a schedule's slots), restarting from the
// start instant when the expression has no more instants.
//
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRONQ_BUILD_BENCH=ON
//   ninja -C build cron_next_bench && build/bench/cron_next_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "core/cron/cron_schedule.h"

namespace {

// 2026-01-01T00:00:00Z: the walk crosses both DST changes of 2026.
constexpr cronq::TimeMs kStart = 1767225600000;

cronq::CronSchedule MustCreate(const char* expr, const char* zone) {
  auto s = cronq::CronSchedule::Create(expr, zone);
  if (!s.ok()) {
    std::cerr << "cron_next_bench: " << expr << " in " << zone << ": " << s.status().message() << "\n";
    std::abort();
  }
  return *s;
}

// Walk: NextAfter(previous answer), as the scheduler plans consecutive slots.
void BM_NextAfterWalk(benchmark::State& state, const char* expr, const char* zone) {
  cronq::CronSchedule s = MustCreate(expr, zone);
  cronq::TimeMs t = kStart;
  for (auto _ : state) {
    std::optional<cronq::TimeMs> next = s.NextAfter(t);
    benchmark::DoNotOptimize(next);
    t = next ? *next : kStart;
  }
  state.SetItemsProcessed(state.iterations());
}

// Fresh: NextAfter from an instant that moves by 7 minutes 13 seconds per
// call (not from the previous answer), as a `nextRuns` answer for a schedule
// just created or resumed.
void BM_NextAfterFresh(benchmark::State& state, const char* expr, const char* zone) {
  cronq::CronSchedule s = MustCreate(expr, zone);
  cronq::TimeMs t = kStart;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.NextAfter(t));
    t += 433'000;
    if (t > kStart + 366LL * 86'400'000) t = kStart;
  }
  state.SetItemsProcessed(state.iterations());
}

// Parse + zone lookup: what a PUT /v1/schedules or `cronq cron next` pays once.
void BM_Create(benchmark::State& state, const char* expr, const char* zone) {
  for (auto _ : state) benchmark::DoNotOptimize(cronq::CronSchedule::Create(expr, zone));
  state.SetItemsProcessed(state.iterations());
}

#define CRONQ_CASES(fn)                                                         \
  BENCHMARK_CAPTURE(fn, every_5_min_UTC, "*/5 * * * *", "UTC");                 \
  BENCHMARK_CAPTURE(fn, every_second_UTC, "* * * * * *", "UTC");                \
  BENCHMARK_CAPTURE(fn, daily_0230_New_York, "30 2 * * *", "America/New_York"); \
  BENCHMARK_CAPTURE(fn, feb29_UTC, "0 0 29 2 *", "UTC");                        \
  BENCHMARK_CAPTURE(fn, weekdays_0900_London, "0 9 * * MON-FRI", "Europe/London")

CRONQ_CASES(BM_NextAfterWalk);
CRONQ_CASES(BM_NextAfterFresh);
CRONQ_CASES(BM_Create);

}  // namespace

BENCHMARK_MAIN();
