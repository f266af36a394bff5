// OutboundClient against HttpServer on 127.0.0.1: keep-alive reuse, deadlines,
// the answer size limit, redirects not followed, connection errors.
// (https is tested end to end in tests/integration/push_test.cc.)
#include "net/outbound.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "net/http_test_util.h"

namespace cronq::net {
namespace {

using test_util::TestOptions;

std::unique_ptr<OutboundClient> NewClient(OutboundOptions o = {}) {
  auto c = OutboundClient::Create(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

TEST(Outbound, PostsAndReusesTheConnection) {
  std::mutex mu;
  std::set<std::string> peers;
  HttpServer server(TestOptions(), [&](HttpRequest&& r, Responder done) {
    {
      std::lock_guard lk(mu);
      peers.insert(r.remote_addr);
    }
    HttpResponse a;
    a.body = r.method + " " + r.target + " " + std::string(r.Header("x-k")) + " " + r.body;
    done(std::move(a));
  });
  ASSERT_TRUE(server.Start().ok());
  auto client = NewClient();
  for (int i = 0; i < 3; ++i) {
    OutboundRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/api/jobs?x=1";
    req.headers = {{"x-k", "v"}};
    req.body = "{}";
    CallResult r = client->Call(req);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.body, "POST /api/jobs?x=1 v {}");
  }
  EXPECT_EQ(peers.size(), 1u) << "one kept-alive connection";
  server.Stop(0);
}

TEST(Outbound, LimitsDeadlinesRedirectsAndRefusals) {
  HttpServer server(TestOptions(), [](HttpRequest&& r, Responder done) {
    HttpResponse a;
    if (r.path == "/huge") a.body = std::string(2 << 20, 'x');
    if (r.path == "/moved") {
      a.status = 302;
      a.headers = {{"Location", "/elsewhere"}};
    }
    if (r.path == "/slow") {
      std::thread([done] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        done(HttpResponse{});
      }).detach();
      return;
    }
    done(std::move(a));
  });
  ASSERT_TRUE(server.Start().ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  auto client = NewClient();
  auto call = [&](const std::string& url, Millis timeout = 5000) {
    OutboundRequest req;
    req.url = url;
    req.timeout = timeout;
    return client->Call(req);
  };
  CallResult huge = call(base + "/huge");
  EXPECT_EQ(huge.error, CallError::kTooLarge) << huge.message;
  CallResult moved = call(base + "/moved");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved.response.status, 302);
  EXPECT_EQ(moved.response.Header("location"), "/elsewhere");
  auto t0 = test_util::Clock::now();
  CallResult slow = call(base + "/slow", 300);
  EXPECT_EQ(slow.error, CallError::kTimeout) << slow.message;
  EXPECT_LT(test_util::ElapsedMs(t0), 1400);
  EXPECT_TRUE(call(base + "/after-a-timeout").ok()) << "the timed-out connection is not reused";
  server.Stop(0);
  CallResult refused = call(base + "/gone");
  EXPECT_EQ(refused.error, CallError::kConnect) << refused.message;
  EXPECT_EQ(call("ftp://127.0.0.1/x").error, CallError::kBadUrl);
}

TEST(Outbound, AnUnreadableCaFileIsAnError) {
  OutboundOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(OutboundClient::Create(o).ok());
}

}  // namespace
}  // namespace cronq::net
