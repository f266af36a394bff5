// Streamed responses (server-sent events) over real sockets on 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "net/http_server.h"
#include "net/http_test_util.h"

namespace cronq::net {
namespace {

using namespace test_util;  // NOLINT: test helpers

HttpResponse Streamed(std::promise<std::shared_ptr<StreamWriter>>* got) {
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.body = "retry: 1000\n\n";
  r.on_stream = [got](std::shared_ptr<StreamWriter> w) { got->set_value(std::move(w)); };
  return r;
}

TEST(HttpStreamTest, ChunksArriveInOrderUntilTheServerCloses) {
  std::promise<std::shared_ptr<StreamWriter>> got;
  HttpServer server(TestOptions(), [&](HttpRequest&&, Responder respond) { respond(Streamed(&got)); });
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  c.Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = c.ReadUntil("retry: 1000\n\n");
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-cache"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  std::shared_ptr<StreamWriter> w = got.get_future().get();
  EXPECT_TRUE(w->Write("data: one\n\n"));
  EXPECT_TRUE(w->Write("data: two\n\n"));
  EXPECT_NE(c.ReadUntil("data: two\n\n").find("data: one\n\ndata: two\n\n"), std::string::npos);
  w->Close();
  c.ReadToEof();
  EXPECT_TRUE(c.eof());
  EXPECT_TRUE(w->closed());
  EXPECT_FALSE(w->Write("data: three\n\n"));
}

TEST(HttpStreamTest, AClientThatLeavesClosesTheWriter) {
  std::promise<std::shared_ptr<StreamWriter>> got;
  HttpServer server(TestOptions(), [&](HttpRequest&&, Responder respond) { respond(Streamed(&got)); });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<StreamWriter> w;
  {
    RawConn c(server.port());
    c.Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    c.ReadUntil("retry: 1000\n\n");
    w = got.get_future().get();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!w->closed() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(w->closed());
  EXPECT_FALSE(w->Write("data: x\n\n"));
}

TEST(HttpStreamTest, StopEndsOpenStreamsWithoutWaitingForTheDrain) {
  std::promise<std::shared_ptr<StreamWriter>> got;
  HttpServer server(TestOptions(), [&](HttpRequest&&, Responder respond) { respond(Streamed(&got)); });
  ASSERT_TRUE(server.Start().ok());
  RawConn c(server.port());
  c.Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  c.ReadUntil("retry: 1000\n\n");
  std::shared_ptr<StreamWriter> w = got.get_future().get();
  const auto start = Clock::now();
  server.Stop(5'000);
  EXPECT_LT(ElapsedMs(start), 4'000);  // the stream does not hold the drain open
  c.ReadToEof();
  EXPECT_TRUE(c.eof());
  EXPECT_TRUE(w->closed());
}

}  // namespace
}  // namespace cronq::net
