// HttpServer and HttpClient over real sockets on 127.0.0.1 (port 0): round trips,
// keep-alive, late answers, shutdown and reconnects.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "net/http_server.h"
#include "net/http_test_util.h"

namespace cronq::net {
namespace {

using namespace test_util;  // NOLINT: test helpers

TEST(HttpServerTest, GetAndPostRoundTrip) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);
  HttpClient client("127.0.0.1", server.port());

  auto r = client.Request("GET", "/v1/a%20b?x=1&y=hello+world&z=%26", {}, {{"X-Test", "t1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Line(r->body, "method"), "GET");
  EXPECT_EQ(Line(r->body, "path"), "/v1/a b");
  EXPECT_EQ(Line(r->body, "x-test"), "t1");
  EXPECT_EQ(Line(r->body, "q:y"), "hello world");
  EXPECT_EQ(Line(r->body, "q:z"), "&");
  EXPECT_EQ(Line(r->body, "remote").rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(r->Header("server"), "cronq");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  EXPECT_EQ(r->Header("x-echo"), "yes");

  r = client.Request("POST", "/jobs", R"({"a":1})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Line(r->body, "method"), "POST");
  EXPECT_EQ(Line(r->body, "body"), R"({"a":1})");
}

TEST(HttpServerTest, KeepAliveReusesOneConnection) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  std::string first_remote;
  for (int i = 0; i < 500; ++i) {
    auto r = client.Request("GET", "/ping");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (i == 0) first_remote = Line(r->body, "remote");
    ASSERT_EQ(Line(r->body, "remote"), first_remote) << "request " << i << " used a new connection";
  }
}

TEST(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  ASSERT_TRUE(c.ok());
  c.Send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = c.ReadUntil("path=/two");
  EXPECT_LT(got.find("path=/one"), got.find("path=/two"));
}

// One slow request answered from another thread does not hold up other connections.
// A client that shuts down its sending side after the request still gets the
// answer, and the handler learns that the client's input ended (client_gone).
TEST(HttpServerTest, HalfClosedClientStillGetsALateAnswer) {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::shared_ptr<std::atomic<bool>> gone;
  HttpServer server(TestOptions(), [&](HttpRequest&& req, Responder respond) {
    std::lock_guard lock(mu);
    gone = req.client_gone;
    workers.emplace_back([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      respond(Reply(200, "late"));
    });
  });
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  ASSERT_TRUE(c.ok());
  c.Send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
  c.ShutdownSend();
  std::string got = c.ReadUntil("late");
  EXPECT_NE(got.find("200"), std::string::npos) << got;
  EXPECT_NE(got.find("late"), std::string::npos) << got;
  std::lock_guard lock(mu);
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->load());
  for (auto& t : workers) t.join();
}

TEST(HttpServerTest, ResponderCalledLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mu;
  auto handler = [&](HttpRequest&& req, Responder respond) {
    if (req.path != "/slow") return Echo(std::move(req), std::move(respond));
    std::lock_guard lock(mu);
    workers.emplace_back([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      respond(Reply(202, "late"));
    });
  };
  HttpServer server(TestOptions(), handler);
  ASSERT_TRUE(server.Start().ok());

  auto start = Clock::now();
  auto slow = std::async(std::launch::async, [&] {
    HttpClient c("127.0.0.1", server.port());
    return c.Request("GET", "/slow");
  });
  HttpClient fast("127.0.0.1", server.port());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fast.Request("GET", "/fast").ok());
  EXPECT_LT(ElapsedMs(start), 200) << "fast requests waited for the slow one";
  auto r = slow.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "late");
  EXPECT_GE(ElapsedMs(start), 200);
  std::lock_guard lock(mu);
  for (auto& t : workers) t.join();
}

TEST(HttpServerTest, DroppedResponderAnswers500) {
  HttpServer server(TestOptions(), [](HttpRequest&&, Responder) {});
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto r = client.Request("GET", "/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find(R"("code":"internal")"), std::string::npos);
}

TEST(HttpServerTest, StopAnswersOrClosesPendingRequestWithinDrain) {
  std::promise<void> arrived;
  Responder kept;
  HttpServer server(TestOptions(), [&](HttpRequest&&, Responder respond) {
    kept = std::move(respond);
    arrived.set_value();
  });
  ASSERT_TRUE(server.Start().ok());
  auto pending = std::async(std::launch::async, [&] {
    HttpClient c("127.0.0.1", server.port(), 5'000);
    return c.Request("GET", "/long-poll");
  });
  arrived.get_future().wait();
  auto start = Clock::now();
  server.Stop(300);
  Millis took = ElapsedMs(start);
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 2'000);
  auto r = pending.get();
  EXPECT_FALSE(r.ok());  // closed: nobody answered within the drain time
  kept(HttpResponse{});  // after Stop: must be harmless
  server.Stop(0);        // twice is fine
}

TEST(HttpServerTest, StopWaitsForAnAnswerDuringDrain) {
  std::thread worker;
  HttpServer server(TestOptions(), [&](HttpRequest&& req, Responder respond) {
    if (req.path == "/warm") return Echo(std::move(req), std::move(respond));
    worker = std::thread([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      respond(Reply(200, "done"));
    });
  });
  ASSERT_TRUE(server.Start().ok());
  RawConn idle(server.port());  // kept alive and idle: closed as soon as Stop() begins
  idle.Send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n");
  idle.ReadUntil("x-test=");
  auto pending = std::async(std::launch::async, [&] {
    HttpClient c("127.0.0.1", server.port());
    return c.Request("GET", "/work");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = Clock::now();
  server.Stop(5'000);
  EXPECT_LT(ElapsedMs(start), 2'000);
  auto r = pending.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->Header("connection"), "close");
  idle.ReadToEof();
  EXPECT_TRUE(idle.eof());
  worker.join();
}

// Clients keep sending while Stop() runs; answers come inline and from other
// threads. Stop() must return, and nothing may crash or leak (run under sanitizers).
TEST(HttpServerTest, StopUnderLoad) {
  std::mutex mu;
  std::vector<std::thread> answerers;
  HttpServer server(TestOptions(), [&](HttpRequest&& req, Responder respond) {
    if (req.path == "/inline") return respond(Reply(200, "ok"));
    std::lock_guard lock(mu);
    answerers.emplace_back([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      respond(Reply(200, "later"));
    });
  });
  ASSERT_TRUE(server.Start().ok());
  std::atomic<bool> done{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      HttpClient c("127.0.0.1", server.port(), 2'000);
      while (!done.load()) {
        if (c.Request("GET", i % 2 ? "/inline" : "/thread").ok()) answered.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto start = Clock::now();
  server.Stop(100);
  EXPECT_LT(ElapsedMs(start), 2'000);
  done.store(true);
  for (auto& t : clients) t.join();
  EXPECT_GT(answered.load(), 0);
  std::lock_guard lock(mu);
  for (auto& t : answerers) t.join();
}

TEST(HttpServerTest, ResponderAfterClientDisconnectIsSafe) {
  std::promise<Responder> got;
  HttpServer server(TestOptions(), [&](HttpRequest&& req, Responder respond) {
    if (req.path == "/hold") return got.set_value(std::move(respond));
    Echo(std::move(req), std::move(respond));
  });
  ASSERT_TRUE(server.Start().ok());
  {
    RawConn c(server.port());
    c.Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  Responder respond = got.get_future().get();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  respond(Reply(200, "too late"));
  respond(Reply(200, "twice"));  // ignored
  HttpClient client("127.0.0.1", server.port());
  auto r = client.Request("GET", "/still-serving");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServerTest, ClientReconnectsAfterIdleTimeout) {
  ServerOptions o = TestOptions();
  o.idle_timeout = 100;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto first = client.Request("GET", "/a");
  ASSERT_TRUE(first.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto second = client.Request("POST", "/b", "payload");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(Line(second->body, "body"), "payload");
  EXPECT_NE(Line(first->body, "remote"), Line(second->body, "remote"));
}

TEST(HttpServerTest, RefusesConnectionsOverMax) {
  ServerOptions o = TestOptions();
  o.max_connections = 1;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient first("127.0.0.1", server.port());
  ASSERT_TRUE(first.Request("GET", "/").ok());
  HttpClient second("127.0.0.1", server.port(), 2'000);
  EXPECT_FALSE(second.Request("GET", "/").ok());
  first.Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(second.Request("GET", "/").ok());
}

TEST(HttpServerTest, StartFailsWhenPortTaken) {
  HttpServer a(TestOptions(), Echo);
  ASSERT_TRUE(a.Start().ok());
  ServerOptions o = TestOptions();
  o.port = a.port();
  HttpServer b(o, Echo);
  EXPECT_FALSE(b.Start().ok());
}

TEST(HttpClientTest, TimesOutWhenNoAnswer) {
  std::promise<Responder> got;
  HttpServer server(TestOptions(), [&](HttpRequest&&, Responder respond) { got.set_value(respond); });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port(), 200);
  auto start = Clock::now();
  auto r = client.Request("GET", "/never");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_LT(ElapsedMs(start), 2'000);
  got.get_future().get()(HttpResponse{});  // answering the closed connection is harmless
}

TEST(HttpClientTest, UnavailableWhenNothingListens) {
  uint16_t port;
  {
    HttpServer s(TestOptions(), Echo);
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
  }
  HttpClient client("127.0.0.1", port, 1'000);
  auto r = client.Request("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace cronq::net
