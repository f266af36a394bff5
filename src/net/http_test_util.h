// Test helpers shared by the net/ server tests: a raw socket (tests/support), an echo handler.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "net/http_server.h"
#include "support/raw_conn.h"

namespace cronq::net::test_util {

using Clock = std::chrono::steady_clock;

inline Millis ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// A raw-bytes socket to 127.0.0.1, for what HttpClient cannot send.
using RawConn = cronq::testing::RawConn;

inline HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Answers at once with what it saw, as "key=value" lines.
inline void Echo(HttpRequest&& req, Responder respond) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.headers = {{"X-Echo", "yes"}};
  r.body = "method=" + req.method + "\npath=" + req.path + "\nbody=" + req.body +
           "\nremote=" + req.remote_addr + "\nx-test=" + std::string(req.Header("x-test")) + "\n";
  for (const auto& [k, v] : req.query) r.body += "q:" + k + "=" + v + "\n";
  respond(std::move(r));
}

inline ServerOptions TestOptions() {
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  return o;
}

// The value of "key=value" in an Echo body.
inline std::string Line(const std::string& body, const std::string& key) {
  auto at = body.find(key + "=");
  if (at == std::string::npos) return "<missing>";
  at += key.size() + 1;
  return body.substr(at, body.find('\n', at) - at);
}

}  // namespace cronq::net::test_util
