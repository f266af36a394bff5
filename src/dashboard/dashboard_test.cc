// The embedded files are served with their types and security headers.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dashboard/assets.h"
#include "dashboard/dashboard.h"

namespace cronq::dashboard {
namespace {

net::HttpRequest Get(std::string path) {
  net::HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

std::string_view Header(const net::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(Dashboard, ServesTheEmbeddedFilesByteForByte) {
  ASSERT_FALSE(EmbeddedFiles().empty());
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    std::ifstream in(std::string(CRONQ_DASHBOARD_ASSET_DIR) + std::string(f.path), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), f.bytes) << f.path;
  }
  net::HttpResponse index = Serve(Get("/ui/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<script src=\"app.js\""), std::string::npos);
  EXPECT_NE(Header(index, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(Header(index, "X-Frame-Options"), "DENY");
  EXPECT_EQ(Serve(Get("/ui/app.js")).content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Serve(Get("/ui/style.css")).content_type, "text/css; charset=utf-8");
}

TEST(Dashboard, RedirectsAndRefuses) {
  net::HttpResponse r = Serve(Get("/ui"));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(Header(r, "Location"), "/ui/");
  EXPECT_EQ(Serve(Get("/")).status, 302);
  EXPECT_EQ(Serve(Get("/ui/nope.js")).status, 404);
  EXPECT_EQ(Serve(Get("/ui/../etc/passwd")).status, 404);
  net::HttpRequest post = Get("/ui/");
  post.method = "POST";
  EXPECT_EQ(Serve(post).status, 405);
  EXPECT_TRUE(Owns("/ui/app.js"));
  EXPECT_TRUE(Owns("/"));
  EXPECT_FALSE(Owns("/v1/queues"));
  EXPECT_FALSE(Owns("/uix"));
}

}  // namespace
}  // namespace cronq::dashboard
