// The HTTP/1.1 server: the only place (with http_client.cc) that touches Asio/Beast.
//
// Threads: Start() binds and spawns `threads` I/O threads; the handler runs on one
// of them and must not block (the API layer hands work to the engine and answers
// later through the Responder). Stop() stops accepting, lets in-flight requests
// finish for up to `drain`, then closes every connection and joins the threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/limits.h"
#include "core/status.h"
#include "net/http.h"

namespace cronq::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7700;  // 0: any free port; port() tells which
  int threads = 1;
  size_t body_limit = limits::kBody;  // larger bodies get 413 with a JSON error
  size_t header_limit = 16 * 1024;
  Millis read_timeout = 60'000;   // time to read one whole request once it has begun
  Millis idle_timeout = 75'000;   // keep-alive connection with no request
  size_t max_connections = 10'000;
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler handler);
  ~HttpServer();  // calls Stop(0) if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Fails if the address is taken.
  Status Start();
  uint16_t port() const;
  // Stops accepting; waits up to `drain` for in-flight requests; closes everything.
  void Stop(Millis drain);
  // Runs `fn` on one of the I/O threads (e.g. to serialize an answer off the
  // engine thread). After Stop() the function may never run.
  void Post(std::function<void()> fn);
  // On an I/O thread of this server: queues `fn` to run on that same thread
  // after the handlers already ready there, and returns true. Elsewhere, or once
  // stopping, returns false and drops `fn`.
  bool PostHere(std::function<void()> fn);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cronq::net
