// HTTP types shared by the server, the client and the API layer.
//
// These are plain structs with no Asio or Beast in sight: only net/*.cc include
// Boost. The API layer receives an HttpRequest and answers through a Responder,
// which may be called from any thread, exactly once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cronq::net {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;       // upper case: "GET", "POST", ...
  std::string target;       // as sent: "/v1/queues/email/jobs?state=failed"
  std::string path;         // percent-decoded path without the query: "/v1/queues/email/jobs"
  Fields query;             // percent-decoded query parameters, in order
  Fields headers;           // names lower-cased
  std::string body;
  std::string remote_addr;  // "127.0.0.1:53412"
  // Becomes true if the client closes the connection while its answer is pending
  // (a long-poll whose worker went away). Never null for requests from HttpServer.
  std::shared_ptr<std::atomic<bool>> client_gone;

  // The first header with this (lower-case) name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  std::optional<std::string> Query(std::string_view name) const;
};

// The body of a streamed response (server-sent events), written piece by piece
// after the head. Any thread may call it.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `bytes` for the client. False once the connection is closed (the
  // client left, the server stops, or the client reads too slowly): stop writing.
  virtual bool Write(std::string bytes) = 0;
  // Ends the response and closes the connection.
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  Fields headers;  // extra headers
  std::string body;
  // When set, the response is streamed: the head goes out without a length, then
  // `body` if any, then this is called (on an I/O thread) with the writer for the
  // rest. The connection is closed when the stream ends; a server stopping ends
  // every stream at the start of its drain.
  std::function<void(std::shared_ptr<StreamWriter>)> on_stream;
};

// Answers one request. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&&, Responder)>;

// A JSON error body in the API's shape, for errors raised below the API layer
// (malformed HTTP, body over the limit): {"error":{"code":"...","message":"..."}}
std::string ErrorBody(std::string_view code, std::string_view message);

// "a%20b" -> "a b"; '+' stays '+' in paths and becomes ' ' in query values.
std::string PercentDecode(std::string_view s, bool plus_is_space);
std::string PercentEncode(std::string_view s);

// Splits "/p?a=1&b=2" into a decoded path and decoded query parameters.
void SplitTarget(std::string_view target, std::string& path, Fields& query);

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  uint16_t port = 0;
  std::string base_path;  // without a trailing slash; usually ""
};
// Parses "http://127.0.0.1:7700" (port defaults to 80 / 443).
Result<Url> ParseUrl(std::string_view url);

// "127.0.0.1:7700" -> {host, port}; port 0 asks the OS for a free port.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view listen);

}  // namespace cronq::net
