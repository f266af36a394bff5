// SIGKILL the real server while producers enqueue and workers acknowledge, then
// restart it and check that every acknowledged enqueue is there and no
// acknowledged completion was undone or repeated. Three rounds on one folder.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;

struct Acked {
  std::mutex mu;
  std::set<std::string> enqueued;
  std::set<std::string> completed;
};

void Producer(uint16_t port, const std::string& token, int seed, std::atomic<bool>& stop, Acked& acked) {
  net::HttpClient c("127.0.0.1", port, 5'000);
  const net::Fields h = {{"Authorization", "Bearer " + token}};
  for (int i = 0; !stop; ++i) {
    json body;
    if (i % 3 == 0) {
      body = {{"jobs", json::array()}};
      for (int k = 0; k < 10; ++k) body["jobs"].push_back({{"name", "batch"}, {"data", {{"p", seed}, {"i", i}}}});
    } else {
      body = {{"name", "single"}, {"data", {{"p", seed}, {"i", i}}}};
    }
    auto r = c.Request("POST", "/v1/queues/crash/jobs", body.dump(), h);
    if (!r.ok()) return;  // the server is gone
    if (r->status != 201) continue;
    json j = json::parse(r->body);
    std::lock_guard lk(acked.mu);
    if (j.contains("jobs"))
      for (const json& e : j["jobs"]) acked.enqueued.insert(e["id"].get<std::string>());
    else
      acked.enqueued.insert(j["id"].get<std::string>());
  }
}

void Worker(uint16_t port, const std::string& token, std::atomic<bool>& stop, Acked& acked) {
  net::HttpClient c("127.0.0.1", port, 5'000);
  const net::Fields h = {{"Authorization", "Bearer " + token}};
  while (!stop) {
    auto f = c.Request("POST", "/v1/queues/crash/fetch", R"({"max":20,"waitMs":200,"lockMs":60000})", h);
    if (!f.ok()) return;
    json jobs = json::parse(f->body)["jobs"];
    if (jobs.empty()) continue;
    json ack = {{"complete", json::array()}};
    for (const json& j : jobs) ack["complete"].push_back({{"id", j["id"]}, {"token", j["token"]}, {"result", 1}});
    auto a = c.Request("POST", "/v1/queues/crash/ack", ack.dump(), h);
    if (!a.ok()) return;
    if (a->status != 200) continue;
    const json answer = json::parse(a->body);
    std::lock_guard lk(acked.mu);
    for (const json& e : answer["complete"])
      if (e["ok"].get<bool>()) acked.completed.insert(e["id"].get<std::string>());
  }
}

TEST(Crash, SigkillLosesNoAcknowledgedWrite) {
  TempDir dir;
  ServerProcess server(dir.File("data"), {"--no-job-logs"});
  Acked acked;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    server.Start();
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int p = 0; p < 4; ++p)
      threads.emplace_back(Producer, server.port(), server.token(), round * 10 + p, std::ref(stop), std::ref(acked));
    for (int w = 0; w < 2; ++w)
      threads.emplace_back(Worker, server.port(), server.token(), std::ref(stop), std::ref(acked));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    server.Kill();  // mid-flight, with requests outstanding
    stop = true;
    for (auto& t : threads) t.join();
  }
  server.Start();
  ASSERT_GT(acked.enqueued.size(), 100u) << "the load did not run";
  ASSERT_GT(acked.completed.size(), 10u) << "the workers did not run";
  for (const std::string& id : acked.enqueued) {
    auto r = server.Call("GET", "/v1/queues/crash/jobs/" + id);
    ASSERT_EQ(r.status, 200) << "acknowledged job " << id << " was lost";
    if (acked.completed.count(id)) {
      EXPECT_EQ(r.json["state"], "completed") << "acknowledged completion of " << id << " was undone";
    }
    int completions = 0;
    for (const json& a : r.json["attempts"]) completions += a["outcome"] == "completed";
    EXPECT_LE(completions, 1) << "job " << id << " completed twice";
  }
  auto q = server.Call("GET", "/v1/queues/crash");
  int64_t total = 0;
  for (auto& [state, n] : q.json["counts"].items()) total += n.get<int64_t>();
  EXPECT_GE(total, static_cast<int64_t>(acked.enqueued.size()));
  EXPECT_GE(q.json["counts"]["completed"].get<int64_t>(), static_cast<int64_t>(acked.completed.size()));
  std::printf("crash test: %zu acknowledged enqueues, %zu acknowledged completions, all intact after 3 SIGKILLs\n",
              acked.enqueued.size(), acked.completed.size());
}

}  // namespace
}  // namespace cronq::testing
