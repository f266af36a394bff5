// HttpServer and HttpClient over real sockets on 127.0.0.1 (port 0).
#include "net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "net/http_client.h"

namespace cronq::net {
namespace {

using Clock = std::chrono::steady_clock;

Millis ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// A blocking socket that speaks raw bytes, for what HttpClient cannot send.
class RawConn {
 public:
  explicit RawConn(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { close(fd_); }
  bool ok() const { return ok_; }
  void Send(std::string_view s) { ASSERT_EQ(send(fd_, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }
  // Reads until `marker` is in what was read, EOF or the 5 s timeout.
  std::string ReadUntil(std::string_view marker) {
    while (got_.find(marker) == std::string::npos && Fill()) {
    }
    return got_;
  }
  std::string ReadToEof() {
    while (Fill()) {
    }
    return got_;
  }
  bool eof() const { return eof_; }
  void Clear() { got_.clear(); }

 private:
  bool Fill() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    got_.append(buf, size_t(n));
    return true;
  }
  int fd_;
  bool ok_ = false;
  bool eof_ = false;
  std::string got_;
};

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Answers at once with what it saw, as "key=value" lines.
void Echo(HttpRequest&& req, Responder respond) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.headers = {{"X-Echo", "yes"}};
  r.body = "method=" + req.method + "\npath=" + req.path + "\nbody=" + req.body +
           "\nremote=" + req.remote_addr + "\nx-test=" + std::string(req.Header("x-test")) + "\n";
  for (const auto& [k, v] : req.query) r.body += "q:" + k + "=" + v + "\n";
  respond(std::move(r));
}

ServerOptions TestOptions() {
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  return o;
}

std::string Line(const std::string& body, const std::string& key) {
  auto at = body.find(key + "=");
  if (at == std::string::npos) return "<missing>";
  at += key.size() + 1;
  return body.substr(at, body.find('\n', at) - at);
}

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

TEST(HttpServerTest, BodyOverLimitIs413) {
  ServerOptions o = TestOptions();
  o.body_limit = 1024;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto r = client.Request("POST", "/jobs", std::string(64 * 1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_NE(r->body.find(R"({"error":{"code":"too_large")"), std::string::npos) << r->body;
  auto ok = client.Request("POST", "/jobs", std::string(1024, 'x'));  // reconnects
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, ChunkedBodyOverLimitIs413) {
  ServerOptions o = TestOptions();
  o.body_limit = 10;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + std::string(32, 'y') +
         "\r\n0\r\n\r\n");
  std::string got = c.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  EXPECT_TRUE(c.eof());
}

TEST(HttpServerTest, MalformedRequestIs400AndCloses) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n");
  std::string got = c.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_NE(got.find(R"({"error":{"code":"bad_request")"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.eof());
}

TEST(HttpServerTest, HeaderOverLimitIs431) {
  ServerOptions o = TestOptions();
  o.header_limit = 1024;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  std::string got = c.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 431", 0), 0u) << got;
}

TEST(HttpServerTest, ExpectContinueWithLargeBody) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  const std::string body(100'000, 'b');
  c.Send("POST /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n");
  std::string interim = c.ReadUntil("\r\n\r\n");
  ASSERT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  c.Clear();
  c.Send(body);
  std::string got = c.ReadUntil("x-test=");  // the echo's last line
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got.substr(0, 200);
  EXPECT_NE(got.find("body=" + body + "\n"), std::string::npos);
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
