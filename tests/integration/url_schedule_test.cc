// URL schedules from a Next.js app's vercel.json, against a real local HTTP
// endpoint that checks the bearer secret and fails its first call.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "net/http_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;

struct Call {
  std::string path, auth, fire_id, attempt;
  int answered;
};

class FakeApp {
 public:
  FakeApp() : server_(net::ServerOptions{"127.0.0.1", 0, 1}, [this](net::HttpRequest&& r, net::Responder done) {
                Handle(std::move(r), std::move(done));
              }) {
    EXPECT_TRUE(server_.Start().ok());
  }
  ~FakeApp() { server_.Stop(0); }
  uint16_t port() const { return server_.port(); }
  std::vector<Call> calls() {
    std::lock_guard lk(mu_);
    return calls_;
  }

 private:
  void Handle(net::HttpRequest&& r, net::Responder done) {
    net::HttpResponse resp;
    std::lock_guard lk(mu_);
    if (r.Header("authorization") != "Bearer s3cret-from-env") {
      resp.status = 401;
    } else {
      resp.status = calls_.empty() ? 500 : 200;  // the very first call fails
    }
    // The failing answer is not even UTF-8 (an HTML error page in Latin-1, say).
    resp.body = resp.status == 500 ? std::string("\xff\xfe oops \xc3") : std::string("{}");
    calls_.push_back({r.target, std::string(r.Header("authorization")), std::string(r.Header("cronq-fire-id")),
                      std::string(r.Header("cronq-attempt")), resp.status});
    done(std::move(resp));
  }
  std::mutex mu_;
  std::vector<Call> calls_;
  net::HttpServer server_;
};

TEST(UrlSchedules, VercelJsonCronsCallTheAppWithTheBearerAndRetry) {
  TempDir dir;
  FakeApp app;
  {
    std::ofstream v(dir.File("vercel.json"));
    v << R"({"crons":[{"path":"/api/cron/sync?full=1","schedule":"* * * * * *"}]})";
  }
  setenv("CRON_SECRET", "s3cret-from-env", 1);
  ServerProcess s(dir.File("data"), {"--vercel-json", dir.File("vercel.json"), "--base-url",
                                     "http://127.0.0.1:" + std::to_string(app.port())});
  s.Start();
  unsetenv("CRON_SECRET");
  auto sched = s.Call("GET", "/v1/schedules/vercel.api.cron.sync");
  ASSERT_EQ(sched.status, 200) << sched.body;
  EXPECT_EQ(sched.json["target"]["url"], "http://127.0.0.1:" + std::to_string(app.port()) + "/api/cron/sync?full=1");
  EXPECT_EQ(sched.json["target"]["headers"]["Authorization"], "***") << "secrets are never shown";
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  std::vector<Call> calls = app.calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[0].path, "/api/cron/sync?full=1");
  EXPECT_EQ(calls[0].auth, "Bearer s3cret-from-env");
  EXPECT_EQ(calls[0].answered, 500);
  EXPECT_EQ(calls[0].attempt, "1");
  // The failed slot was retried (attempt 2, same fire id) and then completed.
  bool retried = false;
  for (const Call& c : calls)
    if (c.fire_id == calls[0].fire_id && c.attempt == "2" && c.answered == 200) retried = true;
  EXPECT_TRUE(retried) << "the first slot's call was not retried";
  EXPECT_EQ(calls[0].fire_id.rfind("vercel.api.cron.sync@", 0), 0u) << calls[0].fire_id;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto h = s.Call("GET", "/v1/schedules/vercel.api.cron.sync?history=50");
  int completed = 0;
  for (const json& e : h.json["history"]) completed += e["status"] == "completed";
  EXPECT_GE(completed, 2) << h.body;
  // The job history keeps the failed attempt with the HTTP status.
  const json& oldest = h.json["history"].back();
  auto job = s.Call("GET", "/v1/queues/cronq:http/jobs/" + oldest["job"]["id"].get<std::string>());
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_EQ(job.json["attempts"][0]["outcome"], "failed");
  EXPECT_NE(job.json["attempts"][0]["error"]["message"].get<std::string>().find("HTTP 500: ?? oops ?"), std::string::npos)
      << job.body;
  EXPECT_EQ(job.json["data"]["headers"]["Authorization"], "***");
}

TEST(UrlSchedules, ACronRemovedFromVercelJsonStops) {
  TempDir dir;
  {
    std::ofstream v(dir.File("vercel.json"));
    v << R"({"crons":[{"path":"/api/a","schedule":"0 5 * * *"},{"path":"/api/b","schedule":"0 6 * * *"}]})";
  }
  const std::vector<std::string> args = {"--vercel-json", dir.File("vercel.json"), "--base-url", "http://127.0.0.1:9"};
  ServerProcess s(dir.File("data"), args);
  s.Start();
  ASSERT_EQ(s.Call("PUT", "/v1/schedules/mine", json{{"cron", "0 7 * * *"}, {"target", {{"queue", "q"}}}}).status, 200);
  EXPECT_EQ(s.Call("GET", "/v1/schedules").json["schedules"].size(), 3u);
  EXPECT_EQ(s.Stop(), 0);
  {
    std::ofstream v(dir.File("vercel.json"), std::ios::trunc);
    v << R"({"crons":[{"path":"/api/b","schedule":"0 6 * * *"}]})";
  }
  s.Start();
  auto all = s.Call("GET", "/v1/schedules").json["schedules"];
  std::set<std::string> names;
  for (const json& x : all) names.insert(x["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"mine", "vercel.api.b"}));
}

TEST(UrlSchedules, UrlTargetsAreValidated) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  auto put = [&](json target) {
    return s.Call("PUT", "/v1/schedules/u", json{{"cron", "* * * * *"}, {"target", target}});
  };
  EXPECT_EQ(put(json{{"url", "ftp://x/y"}}).status, 400);
  EXPECT_EQ(put(json{{"url", "https://127.0.0.1:9/cron"}}).status, 200);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"method", "TRACE"}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"timeoutMs", 0}}).status, 400);
  EXPECT_EQ(put(json{{"queue", "cronq:http"}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"opts", {{"jobId", "a"}}}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"opts", {{"timeout", 5}}}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"headers", {{"X-A", "1\r\nX-Injected: 1"}}}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"headers", {{"Host", "evil"}}}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"bearer", "a\nb"}}).status, 400);
  EXPECT_EQ(put(json{{"url", "http://127.0.0.1:9/x"}, {"method", 5}}).status, 400);
  // The internal queue is cronq's alone: no producer or worker may touch it.
  EXPECT_EQ(s.Call("POST", "/v1/queues/cronq:http/jobs", json{{"name", "x"}, {"data", {{"url", "http://a/"}}}}).status, 403);
  EXPECT_EQ(s.Call("POST", "/v1/queues/cronq:http/fetch", json::object()).status, 403);
  EXPECT_EQ(s.Call("POST", "/v1/queues/cronq:other/ack", json::object()).status, 403);
  EXPECT_EQ(s.Call("GET", "/v1/queues/cronq:http/jobs").status, 200);
  auto ok = put(json{{"url", "http://127.0.0.1:9/x"}, {"method", "POST"}, {"bearer", "b"}, {"body", "{}"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json["target"]["method"], "POST");
  EXPECT_EQ(ok.json["target"]["opts"]["attempts"], 3);
}

}  // namespace
}  // namespace cronq::testing
