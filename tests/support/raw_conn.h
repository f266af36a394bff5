// A blocking TCP connection to 127.0.0.1 that speaks raw bytes, for what an HTTP
// client cannot send or read: malformed requests, half-closes, byte-by-byte
// answers, an event stream that never ends. Shared by the net/ server tests and
// the integration tests; header-only, so it takes GoogleTest from its includer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace cronq::testing {

class RawConn {
 public:
  // Connects at once; each read waits at most `recv_timeout_ms`.
  explicit RawConn(uint16_t port, int recv_timeout_ms = 5000) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{recv_timeout_ms / 1000, (recv_timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { close(fd_); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return ok_; }
  void Send(std::string_view s) { ASSERT_EQ(send(fd_, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }
  // Reads until `marker` is in what was read, EOF or a read timeout.
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
  // One read, appended to got(); false on EOF (then eof()), an error or a timeout.
  bool Fill() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    got_.append(buf, size_t(n));
    return true;
  }
  const std::string& got() const { return got_; }
  bool eof() const { return eof_; }
  void Clear() { got_.clear(); }
  // Ends the sending side only (half-close); answers can still be read.
  void ShutdownSend() { shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
  bool ok_ = false;
  bool eof_ = false;
  std::string got_;
};

}  // namespace cronq::testing
