// Push queues end to end: the real binary delivering to real HTTP and HTTPS
// receivers on 127.0.0.1 (support/push_receiver.h), with a test CA made here.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "support/push_receiver.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

bool WaitUntil(const std::function<bool()>& done, int timeout_ms = 20'000) {
  const auto until = Steady::now() + std::chrono::milliseconds(timeout_ms);
  while (Steady::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

long Ms(Steady::duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }

// The verifier an app runs, written independently of cronq's code.
std::string Hmac(const std::string& key, const std::string& msg) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &len);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < len; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  return std::string(hex, 2 * len);
}

class Push : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args = {}) {
    server_ = std::make_unique<ServerProcess>(dir_.File("data"), std::move(args));
    server_->Start();
  }
  ServerProcess& s() { return *server_; }

  void PutQueue(const std::string& q, json push, json defaults = nullptr) {
    json body = {{"push", std::move(push)}};
    if (!defaults.is_null()) body["defaultJobOptions"] = std::move(defaults);
    auto r = s().Call("PUT", "/v1/queues/" + q, body);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  json Job(const std::string& q, const std::string& id) { return s().Call("GET", "/v1/queues/" + q + "/jobs/" + id).json; }
  bool Finished(const std::string& q, const std::string& id) {
    const json j = Job(q, id);
    return j.value("state", "") == "completed" || j.value("state", "") == "failed";
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Push, SignedDeliveriesVerifyAndTheAnswerIsTheResult) {
  PushReceiver app([](const Received& r) {
    json body = json::parse(r.body);
    return Reply{200, {{"Content-Type", "application/json"}}, json{{"handled", body["id"]}}.dump()};
  });
  Start();
  PutQueue("email", {{"url", app.url("/api/jobs/email?region=eu")},
                     {"secrets", {"whsec_current", "whsec_next"}},
                     {"headers", {{"x-extra", "v"}}}});
  const std::string a = s().AddJob("email", {{"name", "welcome"}, {"data", {{"to", "ada@example.com"}, {"n", 1}}}});
  const std::string b = s().AddJob("email", {{"name", "bare"}});
  auto put = s().Call("PUT", "/v1/schedules/digest",
                      json{{"cron", "0 0 1 1 *"}, {"target", {{"queue", "email"}, {"name", "digest"}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  auto fired = s().Call("POST", "/v1/schedules/digest/trigger");
  ASSERT_EQ(fired.status, 201) << fired.body;
  ASSERT_TRUE(WaitUntil([&] { return app.received().size() >= 3; })) << app.received().size();
  ASSERT_TRUE(WaitUntil([&] { return Finished("email", a) && Finished("email", b); }));

  std::set<std::string> ids;
  for (const Received& r : app.received()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/jobs/email?region=eu");
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(r.Header("user-agent").rfind("cronq/", 0), 0u);
    EXPECT_EQ(r.Header("cronq-queue"), "email");
    EXPECT_EQ(r.Header("cronq-attempt"), "1");
    EXPECT_EQ(r.Header("x-extra"), "v");
    const json body = json::parse(r.body);
    EXPECT_EQ(body["id"], r.Header("cronq-job-id"));
    EXPECT_EQ(body["queue"], "email");
    EXPECT_EQ(body["attempt"], 1);
    ids.insert(body["id"].get<std::string>());
    // Cronq-Signature: t=<unix s>,v1=<hmac current>,v1=<hmac next>, over "<t>.<body>".
    const std::string sig = r.Header("cronq-signature");
    ASSERT_EQ(sig.rfind("t=", 0), 0u) << sig;
    const std::string t = sig.substr(2, sig.find(',') - 2);
    EXPECT_LE(std::llabs(std::stoll(t) * 1000 - r.wall_ms), 300'000) << "fresh timestamp";
    EXPECT_EQ(sig, "t=" + t + ",v1=" + Hmac("whsec_current", t + "." + r.body) + ",v1=" +
                       Hmac("whsec_next", t + "." + r.body));
    EXPECT_NE(sig.find(Hmac("whsec_next", t + "." + r.body)), std::string::npos);
    if (body["name"] == "welcome") {
      EXPECT_EQ(r.body, R"({"id":")" + a + R"(","queue":"email","name":"welcome","data":{"n":1,"to":"ada@example.com"},"attempt":1})");
      EXPECT_TRUE(r.Header("cronq-fire-id").empty());
    }
    if (body["name"] == "digest") {
      EXPECT_EQ(body["fireId"], r.Header("cronq-fire-id"));
      EXPECT_EQ(r.Header("cronq-fire-id").rfind("digest@", 0), 0u);
    }
    if (body["name"] == "bare") {
      EXPECT_EQ(body["data"], nullptr);
    }
  }
  EXPECT_EQ(ids.size(), 3u);
  json done = Job("email", a);
  EXPECT_EQ(done["state"], "completed");
  EXPECT_EQ(done["returnvalue"]["handled"], a);
  EXPECT_EQ(done["attempts"][0]["outcome"], "completed");
  EXPECT_EQ(done["attempts"][0]["worker"], "cronq-push");
}

// One queue, one job per behaviour; the receiver acts on the job's name and attempt.
TEST_F(Push, AnswersAndTimeoutsLeadToTheirOutcomesAndTiming) {
  PushReceiver app([](const Received& r) {
    const std::string name = json::parse(r.body)["name"];
    const bool first = r.Header("cronq-attempt") == "1";
    if (!first) return Reply{200, {}, "", 0};
    if (name == "flaky") return Reply{500, {}, "database down", 0};
    if (name == "slow") return Reply{200, {}, "", 4000};
    if (name == "busy") return Reply{429, {{"Retry-After", "2"}}, "", 0};
    if (name == "unavailable") return Reply{503, {{"Retry-After", "1"}}, "", 0};
    if (name == "invalid") return Reply{422, {{"Cronq-No-Retry", "true"}}, "bad address", 0};
    if (name == "moved") return Reply{308, {{"Location", "/elsewhere"}}, "", 0};
    if (name == "huge") return Reply{200, {}, std::string(2 << 20, 'x'), 0};
    return Reply{};
  });
  Start();
  PutQueue("work", {{"url", app.url("/work")}, {"secrets", {"s"}}, {"timeoutMs", 1000}, {"concurrency", 8}},
           {{"attempts", 3}, {"backoff", 200}});
  std::map<std::string, std::string> ids;
  for (const char* n : {"flaky", "slow", "busy", "unavailable", "invalid", "moved", "huge"})
    ids[n] = s().AddJob("work", {{"name", n}});
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& [n, id] : ids)
      if (!Finished("work", id)) return false;
    return true;
  }, 30'000));
  auto arrivals = [&](const std::string& name) {
    std::vector<Steady::time_point> at;
    for (const Received& r : app.received())
      if (json::parse(r.body)["name"] == name) at.push_back(r.at);
    return at;
  };
  auto outcomes = [&](const std::string& name) {
    std::vector<std::string> out;
    const json job = Job("work", ids[name]);
    for (const json& a : job["attempts"]) out.push_back(a["outcome"]);
    return out;
  };
  using V = std::vector<std::string>;
  // 500: failed, retried with the queue's backoff (200 ms), then completed.
  EXPECT_EQ(outcomes("flaky"), (V{"failed", "completed"}));
  EXPECT_EQ(Job("work", ids["flaky"])["attempts"][0]["error"]["message"], "HTTP 500: database down");
  ASSERT_EQ(arrivals("flaky").size(), 2u);
  EXPECT_GE(Ms(arrivals("flaky")[1] - arrivals("flaky")[0]), 150);
  // No answer within timeoutMs: outcome timeout, about 1 s after the start, then retried.
  EXPECT_EQ(outcomes("slow"), (V{"timeout", "completed"}));
  const json slow = Job("work", ids["slow"])["attempts"][0];
  EXPECT_GE(slow["endedAt"].get<int64_t>() - slow["startedAt"].get<int64_t>(), 900);
  EXPECT_LT(slow["endedAt"].get<int64_t>() - slow["startedAt"].get<int64_t>(), 3900);
  // 429 / 503 with Retry-After: the retry waits that long instead of 200 ms.
  EXPECT_EQ(outcomes("busy"), (V{"failed", "completed"}));
  ASSERT_EQ(arrivals("busy").size(), 2u);
  EXPECT_GE(Ms(arrivals("busy")[1] - arrivals("busy")[0]), 1900);
  EXPECT_EQ(outcomes("unavailable"), (V{"failed", "completed"}));
  EXPECT_GE(Ms(arrivals("unavailable")[1] - arrivals("unavailable")[0]), 900);
  // Cronq-No-Retry: failed for good after one attempt, though two were left.
  EXPECT_EQ(outcomes("invalid"), (V{"failed"}));
  EXPECT_EQ(Job("work", ids["invalid"])["state"], "failed");
  EXPECT_EQ(arrivals("invalid").size(), 1u);
  // A redirect is not followed; an answer over 1 MiB is refused. Both retried.
  EXPECT_EQ(outcomes("moved"), (V{"failed", "completed"}));
  EXPECT_NE(Job("work", ids["moved"])["attempts"][0]["error"]["message"].get<std::string>().find("redirect"),
            std::string::npos);
  for (const Received& r : app.received()) EXPECT_NE(r.target, "/elsewhere");
  EXPECT_EQ(outcomes("huge"), (V{"failed", "completed"}));
  EXPECT_NE(Job("work", ids["huge"])["attempts"][0]["error"]["message"].get<std::string>().find("larger than"),
            std::string::npos);
}

TEST_F(Push, TheConcurrencyCapHolds) {
  PushReceiver app([](const Received&) { return Reply{200, {}, "", 300}; });
  Start();
  PutQueue("capped", {{"url", app.url()}, {"secrets", {"s"}}, {"concurrency", 3}});
  std::vector<std::string> ids;
  json batch = {{"jobs", json::array()}};
  for (int i = 0; i < 15; ++i) batch["jobs"].push_back({{"name", "j"}});
  auto r = s().Call("POST", "/v1/queues/capped/jobs", batch);
  ASSERT_EQ(r.status, 201) << r.body;
  for (const json& j : r.json["jobs"]) ids.push_back(j["id"]);
  ASSERT_TRUE(WaitUntil([&] {
    for (const std::string& id : ids)
      if (!Finished("capped", id)) return false;
    return true;
  }));
  EXPECT_EQ(app.received().size(), 15u);
  EXPECT_LE(app.max_in_flight(), 3);
  EXPECT_GE(app.max_in_flight(), 2) << "deliveries do run side by side";
  EXPECT_LE(app.connections(), 6) << "keep-alive connections are reused";
}

TEST_F(Push, TheRateLimitHolds) {
  PushReceiver app([](const Received&) { return Reply{}; });
  Start();
  PutQueue("slowed", {{"url", app.url()}, {"secrets", {"s"}}, {"concurrency", 4},
                      {"rateLimit", {{"max", 2}, {"perMs", 1000}}}});
  json batch = {{"jobs", json::array()}};
  for (int i = 0; i < 6; ++i) batch["jobs"].push_back({{"name", "j"}});
  ASSERT_EQ(s().Call("POST", "/v1/queues/slowed/jobs", batch).status, 201);
  ASSERT_TRUE(WaitUntil([&] { return app.received().size() >= 6; }));
  std::vector<Received> got = app.received();
  // Any three consecutive starts span at least the window (less a little for the network).
  for (size_t i = 2; i < got.size(); ++i) EXPECT_GE(Ms(got[i].at - got[i - 2].at), 900) << i;
}

// Three replicas on one Redis deliver push queues: a queue's concurrency and
// rate limit hold across all of them together, not per replica.
class PushReplicas : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    for (int i = 0; i < 3; ++i) {
      dirs_.push_back(std::make_unique<TempDir>());
      replicas_.push_back(std::make_unique<ServerProcess>(
          dirs_.back()->File("data"), std::vector<std::string>{"--redis", redis_.url(), "--no-job-logs"}, kToken));
      replicas_.back()->Start();
    }
  }
  ServerProcess& first() { return *replicas_[0]; }
  std::vector<std::string> PushQueueWithJobs(const std::string& q, json push, int jobs) {
    auto put = first().Call("PUT", "/v1/queues/" + q, json{{"push", std::move(push)}});
    EXPECT_EQ(put.status, 200) << put.body;
    json batch = {{"jobs", json::array()}};
    for (int i = 0; i < jobs; ++i) batch["jobs"].push_back({{"name", "j"}});
    auto r = first().Call("POST", "/v1/queues/" + q + "/jobs", batch);
    EXPECT_EQ(r.status, 201) << r.body;
    std::vector<std::string> ids;
    for (const json& j : r.json["jobs"]) ids.push_back(j["id"]);
    return ids;
  }
  bool AllCompleted(const std::string& q, const std::vector<std::string>& ids) {
    for (const std::string& id : ids)
      if (first().Call("GET", "/v1/queues/" + q + "/jobs/" + id).json.value("state", "") != "completed") return false;
    return true;
  }

  const std::string kToken = "push-replicas-token-0123456789";
  RedisServer redis_{false};
  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
};

TEST_F(PushReplicas, TheConcurrencyCapHoldsAcrossReplicas) {
  PushReceiver app([](const Received&) { return Reply{200, {}, "", 300}; });
  auto ids = PushQueueWithJobs("capped", {{"url", app.url()}, {"secrets", {"s"}}, {"concurrency", 2}}, 12);
  ASSERT_EQ(ids.size(), 12u);
  ASSERT_TRUE(WaitUntil([&] { return AllCompleted("capped", ids); }, 30'000));
  EXPECT_EQ(app.received().size(), 12u);
  EXPECT_LE(app.max_in_flight(), 2) << "three replicas, each with lanes for 2, must share the cap";
  EXPECT_EQ(app.max_in_flight(), 2) << "deliveries do run side by side";
}

TEST_F(PushReplicas, TheRateLimitHoldsAcrossReplicas) {
  PushReceiver app([](const Received&) { return Reply{}; });
  auto ids = PushQueueWithJobs(
      "slowed", {{"url", app.url()}, {"secrets", {"s"}}, {"concurrency", 4}, {"rateLimit", {{"max", 2}, {"perMs", 1000}}}},
      6);
  ASSERT_EQ(ids.size(), 6u);
  ASSERT_TRUE(WaitUntil([&] { return AllCompleted("slowed", ids); }, 30'000));
  std::vector<Received> got = app.received();
  ASSERT_EQ(got.size(), 6u);
  // Any three consecutive starts span at least the window (less a little for the network).
  for (size_t i = 2; i < got.size(); ++i) EXPECT_GE(Ms(got[i].at - got[i - 2].at), 900) << i;
}

// Certificates made for the test with the openssl command-line tool.
struct Certs {
  explicit Certs(const TempDir& d) : dir(d.path().string()) {
    Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cronq-test-ca -keyout ca.key -out ca.pem "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
    Leaf("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    Leaf("wrongname", "subjectAltName=DNS:other.test");
    Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout self.key -out self.pem "
        "-addext subjectAltName=IP:127.0.0.1");
  }
  void Leaf(const std::string& name, const std::string& san) {
    Run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + name + ".key -out " + name + ".csr");
    { std::ofstream(dir + "/" + name + ".ext") << san << "\n"; }
    Run("openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out " + name +
        ".pem -extfile " + name + ".ext");
  }
  void Run(const std::string& cmd) {
    const std::string full = "cd '" + dir + "' && " + cmd + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << cmd;
  }
  PushReceiver::Tls Tls(const std::string& name) const { return {dir + "/" + name + ".pem", dir + "/" + name + ".key"}; }
  std::string dir;
};

TEST_F(Push, HttpsIsVerifiedAgainstTrustedCasAndTheHostName) {
  TempDir certs_dir;
  Certs certs(certs_dir);
  auto ok = [](const Received&) { return Reply{200, {}, R"({"tls":true})", 0}; };
  PushReceiver trusted(ok, certs.Tls("server")), self_signed(ok, certs.Tls("self")),
      wrong_name(ok, certs.Tls("wrongname"));
  Start({"--push-ca-file", certs.dir + "/ca.pem"});
  PutQueue("secure", {{"url", trusted.url("/hook")}, {"secrets", {"s"}}, {"concurrency", 1}});
  PutQueue("untrusted", {{"url", self_signed.url("/hook")}, {"secrets", {"s"}}});
  PutQueue("misnamed", {{"url", wrong_name.url("/hook")}, {"secrets", {"s"}}});
  std::vector<std::string> secure;
  for (int i = 0; i < 4; ++i) secure.push_back(s().AddJob("secure", {{"name", "n"}}));
  const std::string u = s().AddJob("untrusted", {{"name", "n"}});
  const std::string m = s().AddJob("misnamed", {{"name", "n"}});
  ASSERT_TRUE(WaitUntil([&] {
    for (const std::string& id : secure)
      if (!Finished("secure", id)) return false;
    return Finished("untrusted", u) && Finished("misnamed", m);
  }));
  for (const std::string& id : secure) {
    EXPECT_EQ(Job("secure", id)["state"], "completed");
    EXPECT_EQ(Job("secure", id)["returnvalue"]["tls"], true);
  }
  EXPECT_EQ(trusted.received().size(), 4u);
  EXPECT_EQ(trusted.connections(), 1) << "one kept-alive TLS connection serves every delivery";
  const json ju = Job("untrusted", u), jm = Job("misnamed", m);
  EXPECT_EQ(ju["state"], "failed");
  EXPECT_NE(ju["attempts"][0]["error"]["message"].get<std::string>().find("certificate verify failed"),
            std::string::npos)
      << ju.dump();
  EXPECT_EQ(jm["state"], "failed");
  EXPECT_NE(jm["attempts"][0]["error"]["message"].get<std::string>().find("mismatch"), std::string::npos)
      << jm.dump();
  EXPECT_TRUE(self_signed.received().empty());
  EXPECT_TRUE(wrong_name.received().empty());

  // URL schedules go through the same client.
  auto put = s().Call("PUT", "/v1/schedules/tls-cron",
                      json{{"cron", "0 0 1 1 *"}, {"target", {{"url", trusted.url("/api/cron")}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_EQ(s().Call("POST", "/v1/schedules/tls-cron/trigger").status, 201);
  ASSERT_TRUE(WaitUntil([&] {
    for (const Received& r : trusted.received())
      if (r.target == "/api/cron") return true;
    return false;
  }));

  // Without push_ca_file, OpenSSL's default store is used, which SSL_CERT_FILE replaces.
  ASSERT_EQ(s().Stop(), 0);
  setenv("SSL_CERT_FILE", (certs.dir + "/ca.pem").c_str(), 1);
  server_ = std::make_unique<ServerProcess>(dir_.File("data"));
  server_->Start();
  unsetenv("SSL_CERT_FILE");
  const std::string again = s().AddJob("secure", {{"name", "after-restart"}});
  ASSERT_TRUE(WaitUntil([&] { return Finished("secure", again); }));
  EXPECT_EQ(Job("secure", again)["state"], "completed");
}

TEST_F(Push, ACronqKilledMidDeliveryLosesNoJob) {
  std::atomic<bool> slow{true};
  PushReceiver app([&](const Received&) { return Reply{200, {}, "", slow ? 1500 : 0}; });
  Start();
  PutQueue("durable", {{"url", app.url()}, {"secrets", {"s"}}, {"timeoutMs", 3000}, {"concurrency", 4}});
  json batch = {{"jobs", json::array()}};
  for (int i = 0; i < 10; ++i) batch["jobs"].push_back({{"name", "j"}, {"data", {{"i", i}}}});
  auto r = s().Call("POST", "/v1/queues/durable/jobs", batch);
  ASSERT_EQ(r.status, 201) << r.body;
  std::vector<std::string> ids;
  for (const json& j : r.json["jobs"]) ids.push_back(j["id"]);
  ASSERT_TRUE(WaitUntil([&] { return app.received().size() >= 2; }));
  server_->Kill();  // deliveries in flight: their answers are never recorded
  slow = false;
  server_->Start();
  ASSERT_TRUE(WaitUntil([&] {
    for (const std::string& id : ids)
      if (!Finished("durable", id)) return false;
    return true;
  }, 40'000));
  std::set<std::string> delivered;
  for (const Received& rec : app.received()) delivered.insert(json::parse(rec.body)["id"].get<std::string>());
  for (const std::string& id : ids) {
    EXPECT_EQ(Job("durable", id)["state"], "completed") << id;
    EXPECT_TRUE(delivered.count(id)) << id;
  }
}

}  // namespace
}  // namespace cronq::testing
