// Unit tests for the plain helpers in http.h.
#include "net/http.h"

#include <gtest/gtest.h>

namespace cronq::net {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndPlus) {
  EXPECT_EQ(PercentDecode("a%20b", false), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%2Fx%2f", false), "/x/");
  EXPECT_EQ(PercentDecode("%e2%82%ac", false), "\xe2\x82\xac");
}

TEST(PercentDecodeTest, KeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%zz", false), "%zz");
  EXPECT_EQ(PercentDecode("%4", false), "%4");
  EXPECT_EQ(PercentDecode("", true), "");
}

TEST(PercentEncodeTest, RoundTrips) {
  EXPECT_EQ(PercentEncode("a b/c~d_e.f-g"), "a%20b%2Fc~d_e.f-g");
  const std::string raw = "x=1&y=\xe2\x82\xac +%";
  EXPECT_EQ(PercentDecode(PercentEncode(raw), true), raw);
}

TEST(SplitTargetTest, PathAndQuery) {
  std::string path;
  Fields query;
  SplitTarget("/v1/queues/a%20b/jobs?state=failed&q=a+b%26c&flag&&x=", path, query);
  EXPECT_EQ(path, "/v1/queues/a b/jobs");
  Fields want = {{"state", "failed"}, {"q", "a b&c"}, {"flag", ""}, {"x", ""}};
  EXPECT_EQ(query, want);
}

TEST(SplitTargetTest, NoQueryAndPlusInPath) {
  std::string path;
  Fields query = {{"stale", "1"}};
  SplitTarget("/a+b", path, query);
  EXPECT_EQ(path, "/a+b");
  EXPECT_TRUE(query.empty());
  SplitTarget("/p?", path, query);
  EXPECT_EQ(path, "/p");
  EXPECT_TRUE(query.empty());
}

TEST(ParseUrlTest, Accepts) {
  auto u = ParseUrl("http://127.0.0.1:7700");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 7700);
  EXPECT_EQ(u->base_path, "");

  u = ParseUrl("HTTPS://example.com/hooks/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->base_path, "/hooks");

  u = ParseUrl("http://[::1]:8080/x");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->base_path, "/x");

  u = ParseUrl("http://localhost");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
}

TEST(ParseUrlTest, Rejects) {
  for (const char* bad : {"127.0.0.1:7700", "ftp://x", "http://", "http://:80", "http://h:0",
                          "http://h:99999", "http://h:x", "http://h:", "http://u@h", "http://h/p?q=1",
                          "http://::1:80"}) {
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
  }
}

TEST(ParseHostPortTest, AcceptsAndRejects) {
  auto hp = ParseHostPort("127.0.0.1:7700");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 7700);
  hp = ParseHostPort("[::1]:0");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "::1");
  EXPECT_EQ(hp->second, 0);
  hp = ParseHostPort(":80");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "0.0.0.0");
  for (const char* bad : {"127.0.0.1", "h:", "h:65536", "h:-1", "h:1x", "::1:80", "[::1]80"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

TEST(HttpErrorBodyTest, EscapesJson) {
  EXPECT_EQ(ErrorBody("too_large", "body is \"big\"\n"),
            R"({"error":{"code":"too_large","message":"body is \"big\"\u000a"}})");
}

TEST(HttpRequestTest, HeaderAndQueryLookups) {
  HttpRequest r;
  r.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}};
  r.query = {{"state", "failed"}, {"state", "dead"}};
  EXPECT_EQ(r.Header("x-a"), "1");
  EXPECT_EQ(r.Header("missing"), "");
  EXPECT_EQ(r.Query("state"), "failed");
  EXPECT_FALSE(r.Query("limit").has_value());
}

}  // namespace
}  // namespace cronq::net
