// HttpCaller: delivers the jobs of URL-target schedules by calling their URL,
// the way Vercel Cron calls a route, but with retries.
//
// A schedule whose target is a URL enqueues, at each slot, a job into the
// internal queue `cronq:http` whose data describes the request (an HttpCall,
// push/http_call.h). A Lane of `threads` threads leases those jobs like any
// worker, makes the request over http or https (net::OutboundClient), and ends
// the attempt by the same answer rules as push queues (push/delivery.h: 2xx
// completes with {"status": N}, Retry-After and Cronq-No-Retry are honoured),
// so the job's attempts and backoff decide the retries and every attempt is in
// the job's history. Each request carries Cronq-Fire-Id (the slot's idempotency
// key), Cronq-Job-Id and Cronq-Attempt headers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "net/outbound.h"
#include "push/http_call.h"
#include "push/lane.h"

namespace cronq::push {

inline constexpr std::string_view kHttpQueue = "cronq:http";

struct HttpCallerOptions {
  std::string queue = std::string(kHttpQueue);  // the internal queue whose calls it makes
  int threads = 4;            // concurrent calls
  Millis fetch_wait = 5'000;  // long-poll per fetch
};

class HttpCaller {
 public:
  HttpCaller(Engine& engine, Clock& clock, net::OutboundClient& client, HttpCallerOptions options = {});
  ~HttpCaller();
  void Start();
  // Stops fetching. Call before Engine::Stop(), then Join() after it.
  void RequestStop() { lane_.RequestStop(); }
  void Join() { lane_.Join(); }

 private:
  void Deliver(const Lease& lease);

  Engine& engine_;
  Clock& clock_;
  net::OutboundClient& client_;
  Lane lane_;
};

}  // namespace cronq::push
