// HttpCaller: delivers the jobs of URL-target schedules by calling their URL,
// the way Vercel Cron calls a route, but with retries.
//
// A schedule whose target is a URL enqueues, at each slot, a job into the
// internal queue `cronq:http` whose data describes the request (an HttpCall,
// push/http_call.h). The caller's threads lease those jobs from the engine
// like any worker, make the request, and complete the job on a 2xx answer or fail
// it otherwise, so the job's attempts and backoff decide the retries and every
// attempt is in the job's history. Each request carries Cronq-Fire-Id (the slot's
// idempotency key), Cronq-Job-Id and Cronq-Attempt headers. Plain http only for
// now; https arrives with push delivery.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "push/http_call.h"

namespace cronq::push {

inline constexpr std::string_view kHttpQueue = "cronq:http";

struct HttpCallerOptions {
  std::string queue = std::string(kHttpQueue);  // the internal queue whose calls it makes
  int threads = 4;           // concurrent calls
  Millis fetch_wait = 5'000;  // long-poll per fetch
};

class HttpCaller {
 public:
  explicit HttpCaller(Engine& engine, HttpCallerOptions options = {});
  ~HttpCaller();
  void Start();
  // Stops fetching. Call before Engine::Stop(), then Join() after it.
  void RequestStop() { stopping_ = true; }
  void Join();

 private:
  void Run();
  void Deliver(const Lease& lease);

  Engine& engine_;
  HttpCallerOptions opt_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace cronq::push
