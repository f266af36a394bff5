// The producer against the real binary: what Queue sends is what the server keeps.
#include <gtest/gtest.h>

#include "fixture.h"

namespace cronq::client::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class QueueTest : public ServerTest {};

TEST_F(QueueTest, AddsAndReadsBackWithOptions) {
  Queue q("email", Conn());
  JobOptions o{.attempts = 3,
               .backoff = Backoff::Exponential(1500ms, 0.25),
               .priority = 7,
               .timeout = 60s,
               .remove_on_complete = Retention::KeepLast(100),
               .remove_on_fail = {.count = 5, .age = std::chrono::seconds(3600)}};
  auto added = q.Add("welcome", {{"to", "ada@example.com"}}, o);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_FALSE(added->duplicate);
  EXPECT_EQ(added->state, "waiting");

  auto job = q.GetJob(added->id);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->id, added->id);
  EXPECT_EQ(job->queue, "email");
  EXPECT_EQ(job->name, "welcome");
  EXPECT_EQ(job->state, "waiting");
  EXPECT_EQ(job->data, json({{"to", "ada@example.com"}}));
  EXPECT_EQ(job->attempts_made, 0);
  const json& opts = job->raw["opts"];
  EXPECT_EQ(opts["attempts"], 3);
  EXPECT_EQ(opts["priority"], 7);
  EXPECT_EQ(opts["timeout"], 60000);
  EXPECT_EQ(opts["backoff"]["type"], "exponential");
  EXPECT_EQ(opts["backoff"]["delay"], 1500);
  EXPECT_DOUBLE_EQ(opts["backoff"]["jitter"].get<double>(), 0.25);
  EXPECT_EQ(opts["removeOnComplete"]["count"], 100);
  EXPECT_EQ(opts["removeOnFail"]["count"], 5);
  EXPECT_EQ(opts["removeOnFail"]["age"], 3600);

  auto delayed = q.Add("later", nullptr, {.delay = 60s});
  ASSERT_TRUE(delayed.ok()) << delayed.status().ToString();
  EXPECT_EQ(delayed->state, "delayed");

  auto counts = q.GetJobCounts();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->waiting, 1);
  EXPECT_EQ(counts->delayed, 1);
  EXPECT_EQ(counts->active + counts->completed + counts->failed, 0);
}

TEST_F(QueueTest, DuplicateJobIdAnswersTheFirstJob) {
  Queue q("q", Conn());
  auto first = q.Add("a", {{"n", 1}}, {.job_id = "user-42 welcome"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->id, "user-42 welcome");
  EXPECT_FALSE(first->duplicate);
  auto second = q.Add("b", {{"n", 2}}, {.job_id = "user-42 welcome"});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->id, "user-42 welcome");
  auto job = q.GetJob("user-42 welcome");  // an id with a space goes through percent-encoding
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->name, "a");
  EXPECT_EQ(job->data["n"], 1);
  EXPECT_EQ(q.GetJobCounts()->waiting, 1);
}

TEST_F(QueueTest, AddBulkAnswersInOrder) {
  Queue q("bulk", Conn());
  std::vector<NewJob> jobs;
  for (int i = 0; i < 20; ++i) jobs.push_back({"n", {{"i", i}}, {}});
  jobs.push_back({"dup", nullptr, {.job_id = "k"}});
  jobs.push_back({"dup", nullptr, {.job_id = "k"}});
  auto added = q.AddBulk(jobs);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->size(), 22u);
  for (int i = 0; i < 20; ++i) {
    auto job = q.GetJob((*added)[i].id);
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->data["i"], i);
  }
  EXPECT_FALSE((*added)[20].duplicate);
  EXPECT_TRUE((*added)[21].duplicate);
  EXPECT_EQ((*added)[21].id, "k");
  EXPECT_EQ(q.GetJobCounts()->waiting, 21);
}

TEST_F(QueueTest, GetJobsPagesNewestFirst) {
  Queue q("list", Conn());
  std::vector<NewJob> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back({i == 3 ? "special 50%" : "plain", {{"i", i}}, {}});
  ASSERT_TRUE(q.AddBulk(jobs).ok());
  auto first = q.GetJobs({.state = "waiting", .limit = 3});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->jobs.size(), 3u);
  EXPECT_EQ(first->jobs[0].data["i"], 4);
  EXPECT_FALSE(first->next_cursor.empty());
  auto rest = q.GetJobs({.state = "waiting", .limit = 3, .cursor = first->next_cursor});
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  ASSERT_EQ(rest->jobs.size(), 2u);
  EXPECT_EQ(rest->jobs[1].data["i"], 0);
  EXPECT_TRUE(rest->next_cursor.empty());
  auto found = q.GetJobs({.search = "AL 50%"});  // case-insensitive, '%' literal, sent percent-encoded
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->jobs.size(), 1u);
  EXPECT_EQ(found->jobs[0].name, "special 50%");
  EXPECT_TRUE(q.GetJobs({.state = "done"}).status().IsInvalidArgument());
  EXPECT_TRUE(q.GetJobs({.limit = 0}).status().IsInvalidArgument());
}

TEST_F(QueueTest, PauseAndResume) {
  Queue q("p", Conn());
  ASSERT_TRUE(q.Pause().ok());
  EXPECT_TRUE(q.GetJobCounts()->paused);
  ASSERT_TRUE(q.Resume().ok());
  EXPECT_FALSE(q.GetJobCounts()->paused);
}

TEST_F(QueueTest, UnusedQueueCountsZero) {
  Queue q("never-used", Conn());
  auto counts = q.GetJobCounts();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->waiting + counts->delayed + counts->active + counts->completed + counts->failed, 0);
}

TEST_F(QueueTest, BadInputGivesClearErrors) {
  Queue q("q", Conn());
  auto expect = [](const Status& st, Code code, const std::string& words) {
    EXPECT_EQ(st.code(), code) << st.ToString();
    EXPECT_NE(st.message().find(words), std::string::npos) << st.ToString();
  };
  // Caught here, before any request.
  expect(q.Add("").status(), Code::kInvalidArgument, "needs a name");
  expect(q.Add("x", nullptr, {.attempts = 0}).status(), Code::kInvalidArgument, "attempts");
  expect(q.Add("x", nullptr, {.delay = -5ms}).status(), Code::kInvalidArgument, "delay");
  expect(q.AddBulk({}).status(), Code::kInvalidArgument, "at least one");
  expect(q.AddBulk({{"ok", nullptr, {}}, {"", nullptr, {}}}).status(), Code::kInvalidArgument, "jobs[1]");
  expect(Queue("no/slash", Conn()).Add("x").status(), Code::kInvalidArgument, "bad queue name");
  expect(Queue("q", ConnectionOptions{.url = "ftp://x", .token = "t"}).Add("x").status(), Code::kInvalidArgument,
         "URL");
  // Refused by the server, with its message.
  expect(q.Add("x", nullptr, {.attempts = 5000}).status(), Code::kInvalidArgument, "attempts");
  expect(q.Add("x", nullptr, {.job_id = "123"}).status(), Code::kInvalidArgument, "jobId");
  expect(q.Add("x", std::string(600 * 1024, 'a')).status(), Code::kTooLarge, "data");
  expect(q.GetJob("404").status(), Code::kNotFound, "HTTP 404");
  expect(Queue("q", ConnectionOptions{.url = server().url(), .token = "wrong"}).Add("x").status(),
         Code::kUnauthenticated, "HTTP 401");
  // Nothing of the refused adds was kept.
  auto counts = q.GetJobCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->waiting + counts->delayed, 0);
}

TEST_F(QueueTest, ServerDownIsUnavailable) {
  Queue q("q", Conn());
  ASSERT_TRUE(q.Add("x").ok());
  server().Stop();
  Status st = q.Add("y").status();
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
}

TEST_F(QueueTest, SharedByManyThreads) {
  auto conn = Connection::Open(Conn());
  ASSERT_TRUE(conn.ok());
  Queue q("mt", *conn);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (!q.Add("j", {{"t", t}, {"i", i}}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(q.GetJobCounts()->waiting, 200);
}

}  // namespace
}  // namespace cronq::client::testing
