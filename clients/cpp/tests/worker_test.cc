// The worker against the real binary: concurrency, retries, unrecoverable errors,
// heartbeats, progress and logs, and a graceful stop.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

#include "fixture.h"

namespace cronq::client::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class WorkerTest : public ServerTest {
 protected:
  WorkerOptions Options(int concurrency = 1) {
    WorkerOptions o;
    o.connection = Conn();
    o.concurrency = concurrency;
    o.fetch_wait = 500ms;
    o.on_error = [this](const Status& st) {
      std::lock_guard lock(mu_);
      errors_.push_back(st.ToString());
    };
    return o;
  }
  std::string WaitForState(Queue& q, const std::string& id, const std::string& state) {
    std::string last;
    WaitFor([&] {
      auto j = q.GetJob(id);
      last = j.ok() ? j->state : j.status().ToString();
      return last == state;
    });
    return last;
  }
  std::vector<std::string> Errors() {
    std::lock_guard lock(mu_);
    return errors_;
  }

  std::mutex mu_;
  std::vector<std::string> errors_;
};

TEST_F(WorkerTest, ConcurrencyFourRunsThousandJobsEachOnce) {
  Queue q("many", Conn());
  std::vector<NewJob> jobs;
  for (int i = 0; i < 1000; ++i) jobs.push_back({"n", {{"i", i}}, {}});
  auto added = q.AddBulk(jobs);
  ASSERT_TRUE(added.ok()) << added.status().ToString();

  std::mutex mu;
  std::map<std::string, int> runs;
  std::atomic<int> in_flight{0}, max_in_flight{0}, completed_events{0};
  WorkerOptions o = Options(4);
  o.on_completed = [&](const Job&, const json&) { ++completed_events; };
  Worker w("many", [&](Job& job) -> json {
    int now = ++in_flight;
    for (int seen = max_in_flight; now > seen && !max_in_flight.compare_exchange_weak(seen, now);) {
    }
    {
      std::lock_guard lock(mu);
      ++runs[job.id()];
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    --in_flight;
    return {{"double", job.data()["i"].get<int>() * 2}};
  }, o);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return q.GetJobCounts()->completed == 1000; }, 60s))
      << "completed: " << q.GetJobCounts()->completed;
  w.Stop();

  auto counts = q.GetJobCounts();
  EXPECT_EQ(counts->completed, 1000);
  EXPECT_EQ(counts->waiting + counts->active + counts->delayed + counts->failed, 0);
  EXPECT_EQ(completed_events, 1000);
  EXPECT_LE(max_in_flight, 4);
  EXPECT_GE(max_in_flight, 2) << "the handlers never overlapped";
  ASSERT_EQ(runs.size(), 1000u);
  for (const auto& a : *added) EXPECT_EQ(runs[a.id], 1) << "job " << a.id;
  // The server's view: one attempt each, no stall, the handler's result kept.
  auto list = server().Call("GET", "/v1/queues/many/jobs?state=completed&limit=1000");
  ASSERT_EQ(list.json["jobs"].size(), 1000u);
  for (const json& j : list.json["jobs"]) {
    EXPECT_EQ(j["attemptsMade"], 1) << j["id"];
    EXPECT_EQ(j["stalls"], 0) << j["id"];
    EXPECT_EQ(j["returnvalue"]["double"], j["data"]["i"].get<int>() * 2);
  }
  EXPECT_TRUE(Errors().empty()) << Errors().front();
}

// The server's count of answered requests to `route` (e.g. "POST /v1/queues/:q/fetch"), from /metrics.
int64_t RequestsTo(cronq::testing::ServerProcess& server, const std::string& route) {
  auto m = server.Call("GET", "/metrics");
  const std::string key = "cronq_http_requests_total{route=\"" + route + "\"";
  int64_t n = 0;
  for (size_t at = m.body.find(key); at != std::string::npos; at = m.body.find(key, at + 1)) {
    size_t space = m.body.find(' ', m.body.find('}', at));
    n += std::stoll(m.body.substr(space + 1));
  }
  return n;
}

// A finished job's ack asks for the next job in the same request: at concurrency
// 1, every job after the first comes with the ack of the one before.
TEST_F(WorkerTest, EachAckCarriesTheFetchForTheSlotItFrees) {
  Queue q("carry", Conn());
  std::vector<NewJob> jobs;
  for (int i = 0; i < 30; ++i) jobs.push_back({"n", {{"i", i}}, {}});
  ASSERT_TRUE(q.AddBulk(jobs).ok());
  std::mutex mu;
  std::vector<int> order;
  Worker w("carry", [&](Job& job) -> json {
    std::lock_guard lock(mu);
    order.push_back(job.data()["i"].get<int>());
    return nullptr;
  }, Options(1));
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return q.GetJobCounts()->completed == 30; }));
  w.Stop();
  std::vector<int> want(30);
  for (int i = 0; i < 30; ++i) want[i] = i;
  EXPECT_EQ(order, want);
  EXPECT_EQ(RequestsTo(server(), "POST /v1/queues/:q/ack"), 30);
  // The first job's fetch, and long polls once the queue is empty (500 ms each).
  EXPECT_LE(RequestsTo(server(), "POST /v1/queues/:q/fetch"), 4);
  EXPECT_TRUE(Errors().empty()) << Errors().front();
}

TEST_F(WorkerTest, FailedAttemptsAreRetriedWithBackoff) {
  Queue q("flaky", Conn());
  auto added = q.Add("f", nullptr, {.attempts = 3, .backoff = Backoff::Fixed(300ms)});
  ASSERT_TRUE(added.ok());
  std::atomic<int> failed_events{0};
  WorkerOptions o = Options(2);
  o.on_failed = [&](const Job&, const std::string& error, bool unrecoverable) {
    EXPECT_FALSE(unrecoverable);
    EXPECT_EQ(error.rfind("try ", 0), 0u) << error;
    ++failed_events;
  };
  Worker w("flaky", [](Job& job) -> json {
    if (job.attempt() < 3) throw std::runtime_error("try " + std::to_string(job.attempt()));
    return "third time lucky";
  }, o);
  ASSERT_TRUE(w.Start().ok());
  EXPECT_EQ(WaitForState(q, added->id, "completed"), "completed");
  w.Stop();
  auto job = q.GetJob(added->id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->returnvalue, "third time lucky");
  EXPECT_EQ(job->attempts_made, 3);
  EXPECT_EQ(failed_events, 2);
  const json& attempts = job->raw["attempts"];
  ASSERT_EQ(attempts.size(), 3u);
  for (int n = 0; n < 2; ++n) {
    EXPECT_EQ(attempts[n]["outcome"], "failed");
    EXPECT_EQ(attempts[n]["error"]["message"], "try " + std::to_string(n + 1));
    // The server's own timestamps: each retry waited for the backoff.
    EXPECT_GE(attempts[n + 1]["startedAt"].get<int64_t>() - attempts[n]["endedAt"].get<int64_t>(), 300);
  }
  EXPECT_EQ(attempts[2]["outcome"], "completed");
}

TEST_F(WorkerTest, UnrecoverableErrorFailsWithoutRetry) {
  Queue q("bad", Conn());
  auto added = q.Add("mail", {{"to", "nobody"}}, {.attempts = 5});
  ASSERT_TRUE(added.ok());
  std::atomic<int> runs{0};
  std::atomic<bool> unrecoverable_event{false};
  WorkerOptions o = Options();
  o.on_failed = [&](const Job&, const std::string&, bool unrecoverable) { unrecoverable_event = unrecoverable; };
  Worker w("bad", [&](Job&) -> json {
    ++runs;
    throw UnrecoverableError("no such mailbox");
  }, o);
  ASSERT_TRUE(w.Start().ok());
  EXPECT_EQ(WaitForState(q, added->id, "failed"), "failed");
  w.Stop();
  auto job = q.GetJob(added->id);
  EXPECT_EQ(job->attempts_made, 1);
  EXPECT_EQ(job->failed_reason, "no such mailbox");
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(unrecoverable_event);
}

TEST_F(WorkerTest, HeartbeatsKeepALongHandlerLeased) {
  Queue q("slow", Conn());
  auto added = q.Add("slow");
  ASSERT_TRUE(added.ok());
  std::atomic<int> runs{0};
  WorkerOptions o = Options(2);
  o.lock_duration = 1500ms;  // the handler runs more than twice as long
  Worker w("slow", [&](Job&) -> json {
    ++runs;
    std::this_thread::sleep_for(3500ms);
    return true;
  }, o);
  ASSERT_TRUE(w.Start().ok());
  EXPECT_EQ(WaitForState(q, added->id, "completed"), "completed");
  w.Stop();
  auto job = q.GetJob(added->id);
  EXPECT_EQ(job->attempts_made, 1);
  EXPECT_EQ(job->stalls, 0);
  EXPECT_EQ(job->raw["attempts"].size(), 1u);
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(Errors().empty()) << Errors().front();
}

TEST_F(WorkerTest, ProgressAndLogsAreVisibleWhileRunning) {
  Queue q("prog", Conn());
  auto added = q.Add("p");
  ASSERT_TRUE(added.ok());
  std::mutex mu;
  std::condition_variable cv;
  bool seen = false;
  Status progress_st, log_st;
  Worker w("prog", [&](Job& job) -> json {
    progress_st = job.UpdateProgress({{"pct", 50}});
    log_st = job.Log("half way");
    job.Log("still going");
    std::unique_lock lock(mu);
    cv.wait_for(lock, 30s, [&] { return seen; });  // until the test has looked
    return {{"done", true}};
  }, Options());
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(WaitFor([&] {
    auto j = q.GetJob(added->id);
    return j.ok() && j->state == "active" && j->progress == json({{"pct", 50}}) && j->logs.size() == 2;
  }));
  auto running = q.GetJob(added->id);
  EXPECT_EQ(running->logs, (std::vector<std::string>{"half way", "still going"}));
  {
    std::lock_guard lock(mu);
    seen = true;
  }
  cv.notify_all();
  EXPECT_EQ(WaitForState(q, added->id, "completed"), "completed");
  w.Stop();
  EXPECT_TRUE(progress_st.ok()) << progress_st.ToString();
  EXPECT_TRUE(log_st.ok()) << log_st.ToString();
  auto job = q.GetJob(added->id);
  EXPECT_EQ(job->progress, json({{"pct", 50}}));
  EXPECT_EQ(job->returnvalue, json({{"done", true}}));
}

TEST_F(WorkerTest, StopLetsRunningHandlersFinish) {
  Queue q("stop", Conn());
  std::vector<NewJob> jobs(10, NewJob{"s", nullptr, {}});
  ASSERT_TRUE(q.AddBulk(jobs).ok());
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  std::atomic<int> finished{0};
  Worker w("stop", [&](Job&) -> json {
    {
      std::unique_lock lock(mu);
      ++started;
      cv.notify_all();
      cv.wait_for(lock, 30s, [&] { return started >= 4; });
    }
    std::this_thread::sleep_for(300ms);  // still running when Stop() is called
    ++finished;
    return "finished";
  }, Options(4));
  ASSERT_TRUE(w.Start().ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return started >= 4; }));
  }
  w.Stop();
  EXPECT_FALSE(w.running());
  EXPECT_EQ(finished, 4);
  EXPECT_EQ(started, 4);
  auto counts = q.GetJobCounts();
  EXPECT_EQ(counts->completed, 4);
  EXPECT_EQ(counts->active, 0);
  EXPECT_EQ(counts->waiting, 6);  // nothing fetched once stopping
  w.Stop();                       // a second stop does nothing
  EXPECT_TRUE(Errors().empty()) << Errors().front();
}

TEST_F(WorkerTest, ResultTheServerRefusesFailsTheJob) {
  Queue q("big", Conn());
  auto small = q.Add("small");
  auto big = q.Add("big");
  ASSERT_TRUE(small.ok() && big.ok());
  WorkerOptions o = Options(2);
  Worker w("big", [](Job& job) -> json {
    if (job.name() == "big") return std::string(600 * 1024, 'x');
    return "ok";
  }, o);
  ASSERT_TRUE(w.Start().ok());
  EXPECT_EQ(WaitForState(q, big->id, "failed"), "failed");
  EXPECT_EQ(WaitForState(q, small->id, "completed"), "completed");
  w.Stop();
  EXPECT_NE(q.GetJob(big->id)->failed_reason.find("refused the handler's result"), std::string::npos);
}

TEST_F(WorkerTest, AttemptTimeoutShowsAsALostLease) {
  Queue q("timeout", Conn());
  auto added = q.Add("t", nullptr, {.timeout = 500ms});
  ASSERT_TRUE(added.ok());
  std::atomic<bool> lost{false};
  WorkerOptions o = Options();
  o.lock_duration = 300ms;  // heartbeats every 150 ms, which cannot move the timeout
  Worker w("timeout", [&](Job& job) -> json {
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (!job.lease_lost() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    lost = job.lease_lost();
    return "too late";
  }, o);
  ASSERT_TRUE(w.Start().ok());
  EXPECT_EQ(WaitForState(q, added->id, "failed"), "failed");
  ASSERT_TRUE(WaitFor([&] { return lost.load(); }));
  w.Stop();
  auto job = q.GetJob(added->id);
  ASSERT_EQ(job->raw["attempts"].size(), 1u);
  EXPECT_EQ(job->raw["attempts"][0]["outcome"], "timeout");
  EXPECT_TRUE(job->returnvalue.is_null());  // the late result was refused
  auto errors = Errors();
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().find("conflict"), std::string::npos) << errors.front();
}

TEST_F(WorkerTest, UnreachableServerIsReportedAndStopStillReturns) {
  WorkerOptions o = Options();
  o.connection.url = server().url();
  server().Stop();  // nothing listens on that port any more
  o.retry_delay = 100ms;
  Worker w("q", [](Job&) -> json { return nullptr; }, o);
  ASSERT_TRUE(w.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Errors().size() >= 2; }));
  w.Stop();
  EXPECT_NE(Errors().front().find("unavailable"), std::string::npos) << Errors().front();
}

TEST_F(WorkerTest, BadOptionsAreRefusedAtStart) {
  auto handler = [](Job&) -> json { return nullptr; };
  WorkerOptions o = Options(0);
  EXPECT_TRUE(Worker("q", handler, o).Start().IsInvalidArgument());
  o = Options();
  o.lock_duration = 10ms;
  EXPECT_TRUE(Worker("q", handler, o).Start().IsInvalidArgument());
  EXPECT_TRUE(Worker("bad/name", handler, Options()).Start().IsInvalidArgument());
  EXPECT_TRUE(Worker("q", nullptr, Options()).Start().IsInvalidArgument());
  Worker twice("q", handler, Options());
  ASSERT_TRUE(twice.Start().ok());
  EXPECT_TRUE(twice.Start().IsConflict());
}

}  // namespace
}  // namespace cronq::client::testing
