// HttpServer's answers to requests it refuses (limits, malformed HTTP) and
// to Expect: 100-continue, spoken over raw sockets on 127.0.0.1.
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

TEST(HttpServerTest, ExpectContinueOverLimitIs413WithoutContinue) {
  ServerOptions o = TestOptions();
  o.body_limit = 1024;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  c.Send("POST /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
  std::string got = c.ReadToEof();
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
}

}  // namespace
}  // namespace cronq::net
