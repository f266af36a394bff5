// A thread-safe connection to a cronq server: the base URL, the bearer token and a
// small pool of keep-alive HTTP connections. Queue and Worker are built on it; it is
// also the way to call endpoints they do not wrap (schedules, for example).
//
// Errors are values (cronq::Status / cronq::Result, see core/status.h): a transport
// failure is Unavailable, and a non-2xx answer becomes the Status code of its HTTP
// status (400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied,
// 404 NotFound, 409 Conflict, 413 TooLarge, 503 Unavailable, else Internal) with the
// message "HTTP <status>: <the server's message>".
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace cronq::client {

struct ConnectionOptions {
  // Plain http only, e.g. "http://127.0.0.1:7700" (a path prefix is kept).
  std::string url = "http://127.0.0.1:7700";
  // The bearer token; empty: the CRONQ_TOKEN environment variable.
  std::string token{};
  // Bounds connecting and each whole request. Keep it above the worker's
  // fetch_wait (long-polls are held that long by the server).
  std::chrono::milliseconds timeout{40'000};
};

class Connection {
 public:
  // Parses the URL and takes the token; connects lazily on the first call.
  static Result<std::shared_ptr<Connection>> Open(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one request with the token (and a JSON body when `body` is given) and
  // answers the parsed JSON of a 2xx answer. `path` starts with "/v1/...".
  // Safe to call from any number of threads at once: each call borrows one pooled
  // HTTP connection for its duration.
  Result<nlohmann::json> Call(std::string_view method, std::string_view path,
                              const nlohmann::json* body = nullptr);

 private:
  class Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes one path segment (a queue name, a job id).
std::string EncodePathSegment(std::string_view segment);

// True when `name` is a valid queue name: 1-128 characters from [A-Za-z0-9._:-].
bool IsValidQueueName(std::string_view name);

}  // namespace cronq::client
