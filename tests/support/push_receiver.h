// PushReceiver: a small HTTP/1.1 server on 127.0.0.1 (plain or TLS, via the
// OpenSSL C API on blocking sockets, one thread per connection) that records
// every request with its arrival time and answers what the test's handler says,
// optionally after a delay. It counts connections and the most requests it held
// at once, so tests can check cronq's keep-alive reuse and concurrency caps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cronq::testing {

struct Received {
  std::chrono::steady_clock::time_point at;  // when the whole request had arrived
  int64_t wall_ms = 0;                       // the same, as Unix ms
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int delay_ms = 0;  // wait this long before answering
};

class PushReceiver {
 public:
  using Handler = std::function<Reply(const Received&)>;
  struct Tls {
    std::string cert_file, key_file;  // PEM
  };
  explicit PushReceiver(Handler handler, std::optional<Tls> tls = std::nullopt);
  ~PushReceiver();

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const;
  std::vector<Received> received();
  int max_in_flight() const { return max_in_flight_; }
  int connections() const { return connections_; }

 private:
  void Accept();
  void Serve(int fd);

  Handler handler_;
  std::shared_ptr<void> ctx_;  // SSL_CTX, when TLS
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0}, max_in_flight_{0}, connections_{0};
  std::mutex mu_;
  std::vector<Received> received_;
  std::vector<int> conn_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace cronq::testing
