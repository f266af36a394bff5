// The real binary over 127.0.0.1: the audit log, /metrics after real traffic,
// dashboard sessions with CSRF protection, and the event stream.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "net/http_client.h"
#include "support/browser.h"
#include "support/raw_conn.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;
constexpr const char* kReadToken = "read-secret-0123456789ab";
constexpr const char* kWorkerToken = "worker-secret-0123456789";

class UiApi : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      std::ofstream cfg(dir_.File("cronq.toml"));
      cfg << ExtraConfig() << "[[tokens]]\nname = \"grafana\"\ntoken = \"" << kReadToken << "\"\nscope = \"read\"\n"
          << "[[tokens]]\nname = \"runner\"\ntoken = \"" << kWorkerToken << "\"\nscope = \"worker\"\n";
    }
    server_ = std::make_unique<ServerProcess>(dir_.File("data"),
                                              std::vector<std::string>{"--config", dir_.File("cronq.toml")});
    server_->Start();
  }
  ServerProcess& s() { return *server_; }
  // Top-level cronq.toml keys for a fixture that needs other settings.
  virtual std::string ExtraConfig() const { return ""; }

  json Fetch(const std::string& q, int max = 1) {
    auto r = s().Call("POST", "/v1/queues/" + q + "/fetch", json{{"max", max}}, kWorkerToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["jobs"];
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// ---- audit log ----------------------------------------------------------------

TEST_F(UiApi, OperatorActionsAreAuditedWithWhoWhatWhenAndTarget) {
  std::string id = s().AddJob("email", {{"name", "a"}, {"opts", {{"delay", 60000}}}});
  ASSERT_EQ(s().Call("POST", "/v1/queues/email/jobs/" + id + "/promote").status, 200);
  ASSERT_EQ(s().Call("POST", "/v1/queues/email/pause").status, 200);
  ASSERT_EQ(s().Call("POST", "/v1/queues/email/resume").status, 200);
  ASSERT_EQ(s().Call("DELETE", "/v1/queues/email/jobs/" + id).status, 200);
  ASSERT_EQ(s().Call("PUT", "/v1/schedules/nightly",
                     json{{"cron", "0 3 * * *"}, {"target", {{"queue", "reports"}, {"name", "r"}}}})
                .status,
            200);
  ASSERT_EQ(s().Call("POST", "/v1/schedules/nightly/trigger").status, 201);
  ASSERT_EQ(s().Call("POST", "/v1/schedules/nightly/pause").status, 200);
  ASSERT_EQ(s().Call("DELETE", "/v1/schedules/nightly").status, 200);
  // A refused action is not an action: nothing recorded.
  EXPECT_EQ(s().Call("POST", "/v1/queues/email/jobs/999/retry").status, 404);
  EXPECT_EQ(s().Call("POST", "/v1/queues/email/pause", "", kReadToken).status, 403);

  auto page = s().Call("GET", "/v1/audit?limit=5", "", kReadToken);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json["entries"].size(), 5u);
  EXPECT_EQ(page.json["entries"][0]["action"], "schedule.delete");
  EXPECT_EQ(page.json["entries"][0]["target"], "nightly");
  EXPECT_EQ(page.json["entries"][0]["actor"], "admin");
  EXPECT_EQ(page.json["entries"][0]["scope"], "admin");
  EXPECT_GT(page.json["entries"][0]["at"].get<int64_t>(), 1'700'000'000'000);
  EXPECT_EQ(page.json["entries"][2]["action"], "schedule.trigger");
  EXPECT_TRUE(page.json["entries"][2]["detail"]["jobId"].is_string());
  ASSERT_TRUE(page.json["nextCursor"].is_string());
  auto rest = s().Call("GET", "/v1/audit?limit=50&cursor=" + page.json["nextCursor"].get<std::string>());
  ASSERT_EQ(rest.status, 200);
  std::vector<std::string> actions;
  for (const json& e : rest.json["entries"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"queue.resume", "queue.pause", "job.promote"}));
  EXPECT_EQ(rest.json["entries"][2]["target"], "email/" + id);
  EXPECT_EQ(page.json["entries"][4]["action"], "job.remove");
  EXPECT_EQ(page.json["entries"][3]["action"], "schedule.put");
  EXPECT_TRUE(rest.json["nextCursor"].is_null());
  EXPECT_EQ(s().Call("GET", "/v1/audit?limit=0").status, 400);
  EXPECT_EQ(s().Call("GET", "/v1/audit?cursor=x").status, 400);
}

TEST_F(UiApi, CleanAndRetryAllFailedAreBulkAndAudited) {
  for (int i = 0; i < 3; ++i) s().AddJob("bulk", {{"name", "f" + std::to_string(i)}});
  for (const json& j : Fetch("bulk", 3)) {
    auto r = s().Call("POST", "/v1/queues/bulk/jobs/" + j["id"].get<std::string>() + "/fail",
                      json{{"token", j["token"]}, {"error", {{"message", "boom"}}}}, kWorkerToken);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  s().AddJob("bulk", {{"name", "waiting"}});
  auto retried = s().Call("POST", "/v1/queues/bulk/retry-failed", json::object());
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json["retried"], 3);
  auto q = s().Call("GET", "/v1/queues/bulk");
  EXPECT_EQ(q.json["counts"]["failed"], 0);
  EXPECT_EQ(q.json["counts"]["waiting"], 4);
  // Nothing is older than an hour: clean removes none; with age 0 it removes all waiting.
  auto none = s().Call("POST", "/v1/queues/bulk/clean", json{{"state", "waiting"}, {"olderThanMs", 3'600'000}});
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.json["removed"], 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto all = s().Call("POST", "/v1/queues/bulk/clean", json{{"state", "waiting"}, {"olderThanMs", 0}, {"limit", 3}});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json["removed"], 3);
  EXPECT_EQ(s().Call("GET", "/v1/queues/bulk").json["counts"]["waiting"], 1);
  EXPECT_EQ(s().Call("POST", "/v1/queues/bulk/clean", json{{"state", "active"}}).status, 400);
  EXPECT_EQ(s().Call("POST", "/v1/queues/bulk/clean", json{{"state", "failed"}}, kReadToken).status, 403);
  auto audit = s().Call("GET", "/v1/audit?limit=3");
  EXPECT_EQ(audit.json["entries"][0]["action"], "queue.clean");
  EXPECT_EQ(audit.json["entries"][0]["detail"]["removed"], 3);
  EXPECT_EQ(audit.json["entries"][2]["action"], "queue.retry_failed");
  EXPECT_EQ(audit.json["entries"][2]["detail"]["retried"], 3);
}

// ---- metrics ------------------------------------------------------------------

// "name{labels} value" lines of a Prometheus text answer.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

TEST_F(UiApi, MetricsCountRealTraffic) {
  for (int i = 0; i < 5; ++i) s().AddJob("mq", {{"name", "m"}, {"opts", {{"attempts", 2}}}});
  json jobs = Fetch("mq", 5);
  ASSERT_EQ(jobs.size(), 5u);
  for (int i = 0; i < 3; ++i) {
    auto r = s().Call("POST", "/v1/queues/mq/jobs/" + jobs[i]["id"].get<std::string>() + "/complete",
                      json{{"token", jobs[i]["token"]}}, kWorkerToken);
    ASSERT_EQ(r.status, 200);
  }
  // Job 3 fails once (retried), job 4 fails for good.
  auto fail = [&](const json& j, bool unrecoverable) {
    auto r = s().Call("POST", "/v1/queues/mq/jobs/" + j["id"].get<std::string>() + "/fail",
                      json{{"token", j["token"]}, {"error", {{"message", "x"}}}, {"unrecoverable", unrecoverable}},
                      kWorkerToken);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  fail(jobs[3], false);
  fail(jobs[4], true);
  EXPECT_EQ(s().Call("GET", "/v1/queues/nope-404").status, 404);
  // One worker fetched from mq (the same client connection each time): one connected worker.
  auto listed = s().Call("GET", "/v1/queues");
  ASSERT_EQ(listed.json["queues"][0]["name"], "mq");
  EXPECT_EQ(listed.json["queues"][0]["workers"], 1);
  EXPECT_EQ(s().Call("GET", "/v1/queues/mq").json["workers"], 1);

  auto r = s().Call("GET", "/metrics", "", kReadToken);
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = ParseMetrics(r.body);
  EXPECT_EQ(m["cronq_jobs_enqueued_total{queue=\"mq\"}"], 5);
  EXPECT_EQ(m["cronq_jobs_completed_total{queue=\"mq\"}"], 3);
  EXPECT_EQ(m["cronq_jobs_failed_total{queue=\"mq\"}"], 1);
  EXPECT_EQ(m["cronq_jobs_retried_total{queue=\"mq\"}"], 1);
  EXPECT_EQ(m["cronq_jobs{queue=\"mq\",state=\"completed\"}"], 3);
  EXPECT_EQ(m["cronq_jobs{queue=\"mq\",state=\"failed\"}"], 1);
  EXPECT_EQ(m["cronq_jobs{queue=\"mq\",state=\"waiting\"}"], 1);
  EXPECT_EQ(m["cronq_job_processing_seconds_count{queue=\"mq\"}"], 5);
  EXPECT_EQ(m["cronq_job_processing_seconds_bucket{queue=\"mq\",le=\"+Inf\"}"], 5);
  EXPECT_EQ(m["cronq_job_wait_seconds_count{queue=\"mq\"}"], 5);
  EXPECT_GT(m["cronq_oldest_waiting_seconds{queue=\"mq\"}"], -1);
  EXPECT_EQ(m["cronq_http_requests_total{route=\"POST /v1/queues/:q/jobs\",status=\"201\"}"], 5);
  EXPECT_EQ(m["cronq_http_requests_total{route=\"POST /v1/queues/:q/jobs/:id/complete\",status=\"200\"}"], 3);
  EXPECT_EQ(m["cronq_http_requests_total{route=\"GET /v1/queues/:q\",status=\"404\"}"], 1);
  EXPECT_TRUE(r.body.find("# TYPE cronq_job_processing_seconds histogram") != std::string::npos);
  // Buckets are cumulative.
  EXPECT_LE(m["cronq_job_processing_seconds_bucket{queue=\"mq\",le=\"0.005\"}"],
            m["cronq_job_processing_seconds_bucket{queue=\"mq\",le=\"300\"}"]);
  EXPECT_EQ(s().Call("GET", "/metrics", "", "wrong-token-0123456789").status, 401);
  // The dashboard's last hour: 3 completed and 2 failed attempts, in the last minute or two.
  auto tp = s().Call("GET", "/v1/throughput", "", kReadToken);
  ASSERT_EQ(tp.status, 200) << tp.body;
  ASSERT_EQ(tp.json["queues"]["mq"]["completed"].size(), 60u);
  int done = 0, failed = 0;
  for (int i = 0; i < 60; ++i) {
    done += tp.json["queues"]["mq"]["completed"][i].get<int>();
    failed += tp.json["queues"]["mq"]["failed"][i].get<int>();
  }
  EXPECT_EQ(done, 3);
  EXPECT_EQ(failed, 2);
}

TEST_F(UiApi, MetricsCountLeaseExpirationsAndScheduleSlots) {
  s().AddJob("lx", {{"name", "stall"}, {"opts", {{"attempts", 1}}}});
  auto r = s().Call("POST", "/v1/queues/lx/fetch", json{{"max", 1}, {"lockMs", 1000}}, kWorkerToken);
  ASSERT_EQ(r.json["jobs"].size(), 1u);
  ASSERT_EQ(s().Call("PUT", "/v1/schedules/tick", json{{"cron", "* * * * * *"}, {"target", {{"queue", "ticks"}, {"name", "t"}}}})
                .status,
            200);
  std::map<std::string, double> m;
  for (int i = 0; i < 200; ++i) {  // the lease expires after ~1 s, the schedule fires every second
    m = ParseMetrics(s().Call("GET", "/metrics").body);
    if (m["cronq_lease_expirations_total{queue=\"lx\",reason=\"stalled\"}"] >= 1 &&
        m["cronq_schedule_slots_total{schedule=\"tick\",status=\"fired\"}"] >= 2)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(m["cronq_lease_expirations_total{queue=\"lx\",reason=\"stalled\"}"], 1);
  EXPECT_EQ(m["cronq_jobs_retried_total{queue=\"lx\"}"], 1);  // a stalled job goes back to waiting once
  const double fired = m["cronq_schedule_slots_total{schedule=\"tick\",status=\"fired\"}"];
  EXPECT_GE(fired, 2);
  EXPECT_EQ(m["cronq_schedule_lateness_seconds_count{schedule=\"tick\"}"], fired);
  EXPECT_GE(m["cronq_jobs_enqueued_total{queue=\"ticks\"}"], fired);
}

// ---- sessions and CSRF ----------------------------------------------------------


TEST_F(UiApi, LoginGivesAnHttpOnlyStrictCookieAndWritesNeedTheCsrfToken) {
  Browser b(s().port());
  EXPECT_EQ(b.Req("GET", "/v1/queues").status, 401);
  auto bad = b.Req("POST", "/v1/session", json{{"token", "not-a-token-0123456789"}}.dump());
  EXPECT_EQ(bad.status, 401);
  json me = b.Login(s().token());
  EXPECT_EQ(me["scope"], "admin");
  EXPECT_EQ(me["name"], "admin");
  EXPECT_EQ(b.csrf.size(), 64u);
  // The cookie's attributes.
  auto again = b.Req("POST", "/v1/session", json{{"token", s().token()}}.dump());
  std::string set(again.Header("set-cookie"));
  EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos) << set;
  EXPECT_NE(set.find("Path=/"), std::string::npos) << set;
  EXPECT_EQ(set.find("Secure"), std::string::npos) << "plain HTTP: a Secure cookie would be dropped " << set;
  // Behind a TLS-terminating proxy the cookie is Secure.
  auto proxied = b.http.Request("POST", "/v1/session", json{{"token", s().token()}}.dump(),
                                {{"Content-Type", "application/json"}, {"X-Forwarded-Proto", "https"}});
  ASSERT_TRUE(proxied.ok());
  EXPECT_NE(std::string(proxied->Header("set-cookie")).find("; Secure"), std::string::npos)
      << proxied->Header("set-cookie");
  // Reads with the cookie alone; GET /v1/session tells a reloaded page its CSRF token.
  EXPECT_EQ(b.Req("GET", "/v1/queues", "", false).status, 200);
  auto who = b.Req("GET", "/v1/session", "", false);
  EXPECT_EQ(json::parse(who.body)["csrf"], b.csrf);
  // A write with the cookie but no (or a wrong) CSRF token is refused and does nothing.
  auto no_csrf = b.Req("POST", "/v1/queues/email/pause", "", false);
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  EXPECT_NE(no_csrf.body.find("CSRF"), std::string::npos);
  std::string real = b.csrf;
  b.csrf = std::string(64, '0');
  EXPECT_EQ(b.Req("POST", "/v1/queues/email/pause").status, 403);
  b.csrf = real;
  auto jobs = b.Req("POST", "/v1/queues/email/jobs", json{{"name", "x"}}.dump(), false);
  EXPECT_EQ(jobs.status, 403);
  EXPECT_EQ(s().Call("GET", "/v1/queues/email").status, 404);  // nothing was created
  // With the token it works, and the audit log names the session's token.
  EXPECT_EQ(b.Req("POST", "/v1/queues/email/pause").status, 200);
  auto audit = s().Call("GET", "/v1/audit?limit=1");
  EXPECT_EQ(audit.json["entries"][0]["action"], "queue.pause");
  EXPECT_EQ(audit.json["entries"][0]["actor"], "admin");
  // Logging out ends the session.
  EXPECT_EQ(b.Req("DELETE", "/v1/session").status, 200);
  EXPECT_EQ(b.Req("GET", "/v1/queues").status, 401);
  // A login needs a JSON body (an HTML form on another site cannot send one).
  auto form = b.http.Request("POST", "/v1/session", "token=" + s().token(),
                             {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->status, 400);
}

// Sessions are kept in the store: a restart does not log anyone out, and a
// logout stays a logout after it.
TEST_F(UiApi, ASessionSurvivesARestartAndALogoutToo) {
  Browser b(s().port());
  b.Login(kReadToken);
  Browser gone(s().port());
  gone.Login(s().token());
  EXPECT_EQ(gone.Req("DELETE", "/v1/session").status, 200);
  s().Stop();
  s().Start();
  Browser after(s().port());
  after.cookie = b.cookie;
  after.csrf = b.csrf;
  auto who = after.Req("GET", "/v1/session", "", false);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json::parse(who.body)["name"], "grafana");
  EXPECT_EQ(json::parse(who.body)["csrf"], b.csrf);
  Browser out(s().port());
  out.cookie = gone.cookie;
  EXPECT_EQ(out.Req("GET", "/v1/queues", "", false).status, 401);
  // A made-up cookie of the right shape is no session either.
  out.cookie = "cronq_session=" + std::string(64, 'a');
  EXPECT_EQ(out.Req("GET", "/v1/queues", "", false).status, 401);
}

TEST_F(UiApi, AReadOnlySessionCanReadButNotAct) {
  Browser b(s().port());
  json me = b.Login(kReadToken);
  EXPECT_EQ(me["scope"], "read");
  EXPECT_EQ(b.Req("GET", "/v1/queues").status, 200);
  EXPECT_EQ(b.Req("GET", "/v1/audit").status, 200);
  EXPECT_EQ(b.Req("POST", "/v1/queues/email/pause").status, 403);
  EXPECT_EQ(b.Req("POST", "/v1/queues/email/retry-failed").status, 403);
}

// A short login window, so that the test can see a limited client recover.
class UiLoginLimit : public UiApi {
 protected:
  static constexpr int kMaxFailures = 3;
  static constexpr int kWindowMs = 4000;
  std::string ExtraConfig() const override {
    return "login_max_failures = " + std::to_string(kMaxFailures) + "\nlogin_window_ms = " + std::to_string(kWindowMs) +
           "\n";
  }
};

TEST_F(UiLoginLimit, WrongTokensFromOneAddressGet429UntilTheWindowPasses) {
  Browser b(s().port());
  const std::string wrong = json{{"token", "not-a-token-0123456789"}}.dump();
  const std::string right = json{{"token", s().token()}}.dump();
  // A successful login does not count against the budget.
  b.Login(s().token());
  for (int i = 0; i < kMaxFailures; ++i) EXPECT_EQ(b.Req("POST", "/v1/session", wrong).status, 401) << "try " << i;
  auto limited = b.Req("POST", "/v1/session", wrong);
  ASSERT_EQ(limited.status, 429) << limited.body;
  json err = json::parse(limited.body);
  EXPECT_EQ(err["error"]["code"], "rate_limited");
  EXPECT_TRUE(err["error"]["message"].is_string());
  const int retry_after = std::stoi(std::string(limited.Header("retry-after")));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, kWindowMs / 1000);
  // While limited even the right token is refused (a guess would otherwise tell),
  // and a forged X-Forwarded-For does not make another client.
  EXPECT_EQ(b.Req("POST", "/v1/session", right).status, 429);
  auto forged = b.http.Request("POST", "/v1/session", right,
                               {{"Content-Type", "application/json"}, {"X-Forwarded-For", "203.0.113.9"}});
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->status, 429);
  // Bearer-token API calls and the session already open are not login attempts.
  EXPECT_EQ(s().Call("GET", "/v1/queues").status, 200);
  EXPECT_EQ(b.Req("GET", "/v1/session", "", false).status, 200);
  // Refused attempts do not extend the wait: after Retry-After seconds the client
  // logs in again (the server's "now" for the 429 came before we read it).
  std::this_thread::sleep_for(std::chrono::seconds(retry_after));
  auto back = b.Req("POST", "/v1/session", right);
  EXPECT_EQ(back.status, 200) << back.body;
  auto m = ParseMetrics(s().Call("GET", "/metrics").body);
  EXPECT_EQ(m["cronq_http_requests_total{route=\"POST /v1/session\",status=\"429\"}"], 3);
}

// ---- event stream -------------------------------------------------------------

// A raw socket reading the event stream.
class EventReader {
 public:
  EventReader(uint16_t port, const std::string& token) : conn_(port, 1000) {
    EXPECT_TRUE(conn_.ok());
    conn_.Send("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n");
  }
  // Reads until `re` matches what arrived, or `seconds` pass.
  bool WaitFor(const std::regex& re, int seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (std::regex_search(conn_.got(), re)) return true;
      if (!conn_.Fill() && conn_.eof()) return false;
    }
    return std::regex_search(conn_.got(), re);
  }
  const std::string& got() const { return conn_.got(); }

 private:
  RawConn conn_;
};

TEST_F(UiApi, TheEventStreamSendsCountsAndJobChanges) {
  s().AddJob("live", {{"name", "first"}});
  EventReader ev(s().port(), kReadToken);
  ASSERT_TRUE(ev.WaitFor(std::regex("text/event-stream"), 10)) << ev.got();
  ASSERT_TRUE(ev.WaitFor(std::regex(R"(event: counts\ndata: \{"at":\d+,"queues":\[\{"counts":\{[^}]*"waiting":1\},("defaultJobOptions":null,)?"name":"live")"), 10)) << ev.got();
  json jobs = Fetch("live");
  ASSERT_EQ(jobs.size(), 1u);
  const std::string id = jobs[0]["id"];
  ASSERT_TRUE(ev.WaitFor(std::regex("event: jobs\ndata: \\{\"changes\":\\[\\{\"id\":\"" + id +
                                    "\",\"queue\":\"live\",\"state\":\"active\"\\}"),
                         10))
      << ev.got();
  ASSERT_EQ(s().Call("POST", "/v1/queues/live/jobs/" + id + "/complete", json{{"token", jobs[0]["token"]}}, kWorkerToken)
                .status,
            200);
  ASSERT_TRUE(ev.WaitFor(std::regex("\"state\":\"completed\""), 10)) << ev.got();
  ASSERT_TRUE(ev.WaitFor(std::regex(R"("completed":1)"), 10)) << ev.got();
  // The server stops promptly with a stream open.
  EXPECT_EQ(s().Stop(), 0);
}

}  // namespace
}  // namespace cronq::testing
