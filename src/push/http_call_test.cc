#include "push/http_call.h"

#include <gtest/gtest.h>

namespace cronq::push {
namespace {

HttpCall Call() {
  HttpCall c;
  c.url = "http://127.0.0.1:3000/api/cron/sync?full=1";
  c.method = "POST";
  c.headers = {{"Authorization", "Bearer s"}, {"X-Team", "a"}};
  c.body = "{}";
  c.timeout = 5000;
  return c;
}

TEST(HttpCall, RoundTripsThroughJobData) {
  Result<HttpCall> back = DecodeHttpCall(EncodeHttpCall(Call()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->url, Call().url);
  EXPECT_EQ(back->method, "POST");
  EXPECT_EQ(back->body, "{}");
  EXPECT_EQ(back->timeout, 5000);
  ASSERT_EQ(back->headers.size(), 2u);
}

TEST(HttpCall, RefusesWhatCouldRewriteTheRequest) {
  HttpCall c = Call();
  c.headers.emplace_back("X-A", "1\r\nX-Injected: 1");
  EXPECT_FALSE(ValidateHttpCall(c).ok());
  c = Call();
  c.headers.emplace_back("Content-Length", "9");
  EXPECT_FALSE(ValidateHttpCall(c).ok());
  c = Call();
  c.headers.emplace_back("Bad Name", "x");
  EXPECT_FALSE(ValidateHttpCall(c).ok());
  c = Call();
  c.method = "TRACE";
  EXPECT_FALSE(ValidateHttpCall(c).ok());
  c = Call();
  c.url = "https://example.test/x";
  EXPECT_TRUE(ValidateHttpCall(c).ok()) << "https goes through the same client as push queues";
  c.url = "ftp://example.test/x";
  EXPECT_FALSE(ValidateHttpCall(c).ok());
  c = Call();
  c.timeout = kHttpTimeoutMax + 1;
  EXPECT_FALSE(ValidateHttpCall(c).ok());
}

TEST(HttpCall, DecodingChecksTypes) {
  EXPECT_FALSE(DecodeHttpCall("{\"url\":\"http://a/\",\"timeoutMs\":\"x\"}").ok());
  EXPECT_FALSE(DecodeHttpCall("{\"url\":5}").ok());
  EXPECT_FALSE(DecodeHttpCall("not json").ok());
  EXPECT_FALSE(DecodeHttpCall("{\"url\":\"http://a/\",\"headers\":{\"X\":\"a\\nb\"}}").ok());
  EXPECT_TRUE(DecodeHttpCall("{\"url\":\"http://a/\"}").ok());
}

TEST(HttpCall, DefaultsRetryThreeTimes) {
  JobOptions o = DefaultHttpCallOptions();
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(o.backoff.type, Backoff::Type::kExponential);
  EXPECT_EQ(o.backoff.delay, 1000);
}

}  // namespace
}  // namespace cronq::push
