// How long the due pass takes to promote N delayed jobs due at the same instant
// (the shape of 10,000 schedules claimed ahead for one second), on a real SQLite
// file with the default durability: enqueue N jobs delayed until T in one batch,
// then time RunDue(T) batches (Begin, RunDue, Commit) until all are waiting.
//
//   promote_bench [N=10000] [DIR=/tmp]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/sqlite_store.h"

using namespace cronq;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const std::filesystem::path dir = std::filesystem::path(argc > 2 ? argv[2] : "/tmp") / "cronq-promote-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = OpenSqliteStore(SqliteOptions{(dir / "cronq.db").string()});
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  Store& s = **store;
  const TimeMs t0 = 1'800'000'000'000, due = t0 + 1000;
  (void)s.Begin();
  for (int i = 0; i < n; ++i) {
    NewJob j{"tick", "{\"i\":" + std::to_string(i) + "}", {}};
    j.opts.delay = due - t0;
    if (!s.Enqueue("sched-" + std::to_string(i % 4), j, t0).ok()) return 1;
  }
  if (!s.Commit().ok()) return 1;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  int total = 0, batches = 0;
  double first_ms = 0;
  while (total < n) {
    const auto b0 = Clock::now();
    (void)s.Begin();
    auto w = s.RunDue(due, 0.0);
    if (!w.ok() || !s.Commit().ok()) return 1;
    total += w->promoted;
    ++batches;
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - b0).count();
    if (batches == 1) first_ms = ms;
    if (w->promoted == 0) break;
  }
  const double all_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::printf("promoted %d delayed jobs in %d due passes: first pass (commit included) %.1f ms, all %.1f ms, %.1f us/job\n",
              total, batches, first_ms, all_ms, all_ms * 1000 / total);
  std::filesystem::remove_all(dir);
  return 0;
}
