// OutboundClient: cronq calling apps' URLs (push queues, URL schedules) over
// http or https, from worker threads that may block.
//
// - https goes through OpenSSL with the peer's certificate verified against the
//   system store (OpenSSL's default paths, which honour SSL_CERT_FILE and
//   SSL_CERT_DIR) plus an optional extra CA file, and its name checked against
//   the URL's host (DNS name or IP address). SNI is sent for names.
// - Deadlines: one per request over everything (connect, TLS handshake, send,
//   answer) and a shorter one for connecting.
// - The answer's body is limited (1 MiB by default); redirects are returned as
//   they are, never followed.
// - Keep-alive connections are pooled per origin (scheme, host, port) and reused
//   by whichever thread calls next. A reused connection that the server had
//   closed is noticed before sending, or when the answer comes back empty; the
//   request is then sent once more on a fresh connection (delivery is
//   at-least-once anyway).
// Thread-safe. Only net/ sees Asio, Beast and OpenSSL's socket side.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "net/http.h"
#include "net/http_client.h"

namespace cronq::net {

struct OutboundOptions {
  std::string ca_file;              // PEM file of extra trusted CAs; empty: the system store only
  Millis connect_timeout = 10'000;  // per connection (TCP and TLS handshake), within the request's deadline
  uint64_t response_limit = 1 << 20;
  size_t max_idle_per_origin = 32;
  Millis idle_keep = 30'000;  // an idle connection older than this is closed instead of reused
};

struct OutboundRequest {
  std::string method = "POST";
  std::string url;  // http(s)://host[:port][/path][?query], sent as it is
  Fields headers;   // Host and Content-Length are set by the client
  std::string body;
  Millis timeout = 30'000;  // the whole exchange
};

enum class CallError {
  kNone = 0,
  kBadUrl,
  kConnect,    // name resolution, refused, unreachable, connect time-out
  kTls,        // handshake failed: certificate not trusted, wrong name, protocol
  kTimeout,    // the request's deadline passed
  kTooLarge,   // the answer is larger than response_limit
  kTransport,  // the connection broke or the answer was not HTTP
};

struct CallResult {
  CallError error = CallError::kNone;
  std::string message;      // what went wrong, for the attempt's error
  ClientResponse response;  // when error == kNone
  bool ok() const { return error == CallError::kNone; }
};

class OutboundClient {
 public:
  // Fails when the CA file cannot be read.
  static Result<std::unique_ptr<OutboundClient>> Create(OutboundOptions options = {});
  ~OutboundClient();
  OutboundClient(const OutboundClient&) = delete;
  OutboundClient& operator=(const OutboundClient&) = delete;

  // Sends one request and reads its answer; blocks the calling thread.
  CallResult Call(const OutboundRequest& req);

  class Impl;

 private:
  explicit OutboundClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cronq::net
