// Test helpers shared by the net/ server tests: a raw socket, an echo handler.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

#include "net/http_server.h"

namespace cronq::net::test_util {

using Clock = std::chrono::steady_clock;

inline Millis ElapsedMs(Clock::time_point since) {
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
  // Ends the sending side only (half-close); answers can still be read.
  void ShutdownSend() { shutdown(fd_, SHUT_WR); }

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
