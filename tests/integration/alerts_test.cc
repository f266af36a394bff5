// Alerts through the real binary to a webhook receiver on 127.0.0.1: a job that
// failed for good, a missed schedule slot, a queue whose oldest job waits too
// long; in the plain JSON and the Slack-compatible body; retried when the
// receiver fails.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "net/http_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;
constexpr const char* kWorker = "worker-secret-0123456789";

// A webhook receiver: records every request; /flaky answers 500 to its first call.
class Receiver {
 public:
  Receiver() : server_(Options(), [this](net::HttpRequest&& req, net::Responder respond) {
      net::HttpResponse r;
      {
        std::lock_guard lk(mu_);
        got_.push_back({req.path, req.body});
        if (req.path == "/flaky" && ++flaky_calls_ == 1) r.status = 500;
      }
      respond(std::move(r));
    }) {
    EXPECT_TRUE(server_.Start().ok());
  }
  uint16_t port() const { return server_.port(); }
  // Bodies received on `path`, parsed.
  std::vector<json> On(const std::string& path) {
    std::lock_guard lk(mu_);
    std::vector<json> out;
    for (const auto& [p, b] : got_)
      if (p == path) out.push_back(json::parse(b, nullptr, false));
    return out;
  }
  template <typename Pred>
  bool WaitFor(Pred pred, int seconds = 20) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

 private:
  static net::ServerOptions Options() {
    net::ServerOptions o;
    o.port = 0;
    o.threads = 1;
    return o;
  }
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> got_;
  int flaky_calls_ = 0;
  net::HttpServer server_;
};

class Alerts : public ::testing::Test {
 protected:
  void Start(const std::string& extra = "") {
    {
      std::ofstream cfg(dir_.File("cronq.toml"));
      cfg << "[[tokens]]\nname = \"runner\"\ntoken = \"" << kWorker << "\"\nscope = \"worker\"\n"
          << "[alerts]\nattempts = 3\n" << extra
          << "[[alerts.webhooks]]\nurl = \"http://127.0.0.1:" << rx_.port() << "/flaky\"\n"
          << "[[alerts.webhooks]]\nurl = \"http://127.0.0.1:" << rx_.port() << "/slack\"\nformat = \"slack\"\n";
    }
    server_ = std::make_unique<ServerProcess>(dir_.File("data"),
                                              std::vector<std::string>{"--config", dir_.File("cronq.toml")});
    server_->Start();
  }
  ServerProcess& s() { return *server_; }

  Receiver rx_;
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Alerts, AJobThatFailsForGoodAlertsBothWebhooksAndAFailedCallIsRetried) {
  Start();
  // A retried failure is no alert; the last attempt's failure is.
  ASSERT_EQ(s().Call("POST", "/v1/queues/billing/jobs", json{{"name", "charge"}, {"opts", {{"attempts", 2}}}}).status, 201);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto f = s().Call("POST", "/v1/queues/billing/fetch", json{{"max", 1}, {"waitMs", 5000}}, kWorker);
    ASSERT_EQ(f.json["jobs"].size(), 1u) << f.body;
    const json& j = f.json["jobs"][0];
    ASSERT_EQ(s().Call("POST", "/v1/queues/billing/jobs/" + j["id"].get<std::string>() + "/fail",
                       json{{"token", j["token"]}, {"error", {{"message", "card declined " + std::to_string(attempt)}}}},
                       kWorker)
                  .status,
              200);
    if (attempt == 1) {  // the first failure retries: nothing is sent
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      EXPECT_TRUE(rx_.On("/slack").empty());
    }
  }
  // The flaky hook answered 500 first: the call is retried (backoff from 1 s).
  ASSERT_TRUE(rx_.WaitFor([&] { return rx_.On("/flaky").size() >= 2 && !rx_.On("/slack").empty(); }));
  json plain = rx_.On("/flaky")[1];
  EXPECT_EQ(plain["type"], "job.failed");
  EXPECT_EQ(plain["queue"], "billing");
  EXPECT_EQ(plain["jobId"], "1");
  EXPECT_EQ(plain["name"], "charge");
  EXPECT_EQ(plain["error"], "card declined 2");
  EXPECT_EQ(plain["attempt"], 2);
  EXPECT_EQ(rx_.On("/flaky")[0], plain);  // the retry sends the same alert
  json slack = rx_.On("/slack")[0];
  ASSERT_TRUE(slack["text"].is_string());
  EXPECT_EQ(slack.size(), 1u);
  EXPECT_NE(slack["text"].get<std::string>().find("billing failed after attempt 2: card declined 2"), std::string::npos)
      << slack;
  EXPECT_EQ(rx_.On("/slack").size(), 1u);
  // The alerts are jobs of the internal queue, visible like any other.
  EXPECT_TRUE(rx_.WaitFor([&] {
    auto q = s().Call("GET", "/v1/queues/cronq:alerts");
    return q.status == 200 && q.json["counts"]["completed"] == 2;
  }));
}

TEST_F(Alerts, AQueueWhoseOldestJobWaitsTooLongAlertsOnce) {
  Start("oldest_waiting_ms = 1000\ncheck_every_ms = 100\n");
  ASSERT_EQ(s().Call("POST", "/v1/queues/stuck/jobs", json{{"name", "nobody-works"}}).status, 201);
  ASSERT_TRUE(rx_.WaitFor([&] {
    for (const json& j : rx_.On("/slack"))
      if (j["text"].get<std::string>().find("queue stuck") != std::string::npos) return true;
    return false;
  }));
  ASSERT_TRUE(rx_.WaitFor([&] { return rx_.On("/flaky").size() >= 2; }));
  json plain = rx_.On("/flaky").back();
  EXPECT_EQ(plain["type"], "queue.waiting");
  EXPECT_EQ(plain["queue"], "stuck");
  EXPECT_GE(plain["ageMs"].get<int64_t>(), 1000);
  EXPECT_EQ(plain["waiting"], 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // several more checks: still one alert
  EXPECT_EQ(rx_.On("/slack").size(), 1u);
}

TEST_F(Alerts, AMissedScheduleSlotAlerts) {
  Start();
  ASSERT_EQ(s().Call("PUT", "/v1/schedules/every-second",
                     json{{"cron", "* * * * * *"}, {"missed", "skip"}, {"target", {{"queue", "ticks"}, {"name", "t"}}}})
                .status,
            200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_EQ(s().Stop(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // slots pass while cronq is down
  server_->Start();
  ASSERT_TRUE(rx_.WaitFor([&] {
    for (const json& j : rx_.On("/slack"))
      if (j["text"].get<std::string>().find("every-second missed") != std::string::npos) return true;
    return false;
  }));
  ASSERT_TRUE(rx_.WaitFor([&] {
    for (const json& j : rx_.On("/flaky"))
      if (j["type"] == "schedule.missed") return true;
    return false;
  }));
  for (const json& j : rx_.On("/flaky")) {
    if (j["type"] != "schedule.missed") continue;
    EXPECT_EQ(j["schedule"], "every-second");
    EXPECT_TRUE(j["due"].get<std::string>().ends_with("Z"));
  }
  (void)s().Call("POST", "/v1/schedules/every-second/pause");
}

}  // namespace
}  // namespace cronq::testing
