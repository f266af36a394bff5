// A small blocking HTTP/1.1 client over one keep-alive connection, for the CLI,
// the tests and the benchmarks. Not thread-safe: one client per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "net/http.h"

namespace cronq::net {

struct ClientResponse {
  int status = 0;
  Fields headers;  // names lower-cased
  std::string body;
  std::string_view Header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  // Plain http only. `timeout` bounds connect and each whole request.
  HttpClient(std::string host, uint16_t port, Millis timeout = 30'000);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole answer. Reconnects when the kept-alive
  // connection was closed by the server. A transport failure is Unavailable.
  Result<ClientResponse> Request(std::string_view method, std::string_view target,
                                 std::string_view body = {}, const Fields& headers = {});

  // Drops the connection (the next Request reconnects).
  void Close();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cronq::net
