// Redis time per job of the enqueue, lease and finish scripts (scenario 2's
// coalesced adds, scenario 4's fetch and batch ack), measured inside Redis,
// without HTTP or Node: enqueue N jobs ENQ at a time (one EnqueueBatch each, as
// a coalesced batch of adds), then lease them MAX at a time (one batch each, as
// a fetch), then complete them MAX at a time (one CompleteBatch each, as a batch
// ack). For
// each phase it prints the EVALSHA time (`INFO commandstats`) and redis-server's
// CPU time (`INFO cpu`, user + sys: the scripts plus protocol and network) per
// job. Several rounds, each on fresh keys; read the lowest.
//
//   redis_scripts_bench PORT [N=20000] [MAX=50] [ROUNDS=3] [ENQ=100]
//
// Point it at a private redis-server (it writes keys under cronq-bench<round>:).
// NO_JOURNAL=1 in the environment turns the undo journal off, to see its share.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "storage/redis_store.h"

using namespace cronq;

namespace {

// Field `name:` of `redis-cli INFO <section>` as a number (0 when absent).
double InfoField(int port, const std::string& section, const std::string& field) {
  const std::string cmd = "redis-cli -p " + std::to_string(port) + " INFO " + section;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return 0;
  char line[1024];
  double v = 0;
  while (std::fgets(line, sizeof line, p)) {
    std::string l(line);
    if (l.rfind(field, 0) != 0) continue;
    v = std::atof(l.c_str() + field.size());
  }
  pclose(p);
  return v;
}

struct Meter {
  int port;
  double script_us = 0, cpu_s = 0;
  void Start() {
    script_us = EvalUs();
    cpu_s = Cpu();
  }
  void Report(const char* phase, int jobs) {
    std::printf("  %-6s %6.2f us/job in scripts, %6.2f us/job redis-server CPU\n", phase,
                (EvalUs() - script_us) / jobs, (Cpu() - cpu_s) * 1e6 / jobs);
  }
  double EvalUs() {
    // cmdstat_evalsha:calls=..,usec=N,...
    const std::string cmd = "redis-cli -p " + std::to_string(port) + " INFO commandstats";
    FILE* p = popen(cmd.c_str(), "r");
    double v = 0;
    char line[1024];
    while (p && std::fgets(line, sizeof line, p)) {
      std::string l(line);
      if (l.rfind("cmdstat_evalsha:", 0) != 0) continue;
      size_t at = l.find("usec=");
      if (at != std::string::npos) v = std::atof(l.c_str() + at + 5);
    }
    if (p) pclose(p);
    return v;
  }
  double Cpu() { return InfoField(port, "cpu", "used_cpu_sys:") + InfoField(port, "cpu", "used_cpu_user:"); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: redis_scripts_bench PORT [N] [MAX] [ROUNDS] [ENQ]\n"), 2;
  const int port = std::atoi(argv[1]);
  const int n = argc > 2 ? std::atoi(argv[2]) : 20'000;
  const int max = argc > 3 ? std::atoi(argv[3]) : 50;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 3;
  const int enq = argc > 5 ? std::atoi(argv[5]) : 100;
  const std::string data = "\"" + std::string(98, 'x') + "\"";  // 100 bytes, as bench/ scenario 4
  for (int round = 1; round <= rounds; ++round) {
    RedisOptions o;
    o.port = port;
    o.prefix = "cronq-bench" + std::to_string(round) + ":";
    o.journal = std::getenv("NO_JOURNAL") == nullptr;
    auto opened = OpenRedisStore(o);
    if (!opened.ok()) return std::fprintf(stderr, "%s\n", opened.status().ToString().c_str()), 1;
    Store& s = **opened;
    const TimeMs t0 = 1'800'000'000'000;
    Meter m{port};
    std::printf("round %d: %d jobs, %d per enqueue batch, %d per lease/ack call\n", round, n, enq, max);
    m.Start();
    for (int at = 0; at < n; at += enq) {
      std::vector<NewJob> jobs(std::min(enq, n - at), NewJob{"bench", data, {}});
      if (!s.Begin().ok() || !s.EnqueueBatch("q", jobs, t0).ok() || !s.Commit().ok())
        return std::fprintf(stderr, "enqueue failed\n"), 1;
    }
    m.Report("add", n);
    m.Start();
    std::vector<Lease> held;
    while (static_cast<int>(held.size()) < n) {
      if (!s.Begin().ok()) return 1;
      auto l = s.LeaseNext(FetchSpec{"q", max, 30'000, "bench-worker"}, t0 + 1);
      if (!l.ok() || l->empty() || !s.Commit().ok()) return std::fprintf(stderr, "lease failed\n"), 1;
      held.insert(held.end(), l->begin(), l->end());
    }
    m.Report("lease", n);
    m.Start();
    for (size_t at = 0; at < held.size(); at += max) {
      std::vector<CompleteSpec> acks;
      for (size_t i = at; i < std::min(held.size(), at + max); ++i)
        acks.push_back(CompleteSpec{"q", held[i].id, held[i].token, ""});
      if (!s.Begin().ok()) return 1;
      for (auto& r : s.CompleteBatch(acks, t0 + 2))
        if (!r.ok()) return std::fprintf(stderr, "ack failed: %s\n", r.status().ToString().c_str()), 1;
      if (!s.Commit().ok()) return 1;
    }
    m.Report("ack", n);
  }
  return 0;
}
