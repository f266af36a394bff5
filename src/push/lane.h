// Lane: threads that lease the jobs of one queue, one job per thread at a time,
// and hand each lease to a delivery function. The thread count is the queue's
// concurrency cap (no thread holds more than one lease), and an optional rate
// limit bounds how many jobs start per window (core/rate_window.h): a thread
// reserves a start before it long-polls and gives it back if no job came.
// Used for push queues (Deliverer) and for URL schedules (HttpCaller).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/rate_window.h"
#include "engine/engine.h"

namespace cronq::push {

struct LaneOptions {
  std::string queue;
  int threads = 1;
  bool push = false;      // FetchSpec::push: lease from a push queue
  int max_active = 0;     // FetchSpec::max_active: a cap shared with other processes (0: none)
  RateLimit store_rate;   // FetchSpec::rate: a rate limit shared with other processes (none by default)
  RateLimit rate;         // none by default
  Millis lock_ms = 60'000;  // lease per job
  Millis fetch_wait = 5'000;
  std::string worker;     // recorded with each attempt
};

class Lane {
 public:
  using DeliverFn = std::function<void(const Lease&)>;
  // `deliver` must end the lease (complete or fail); it is called on a lane thread.
  Lane(Engine& engine, Clock& clock, LaneOptions options, DeliverFn deliver);
  ~Lane();
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  void Start();
  // Threads stop after their current long-poll or delivery; does not wait.
  void RequestStop() { stopping_ = true; }
  void Join();
  bool Finished() const { return running_ == 0; }
  const LaneOptions& options() const { return opt_; }

 private:
  void Run();
  // Waits for a start allowed by the rate limit; false when stopping.
  bool ReserveStart(uint64_t& id);

  Engine& engine_;
  Clock& clock_;
  LaneOptions opt_;
  DeliverFn deliver_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> running_{0};
  std::mutex rate_mu_;
  RateWindow rate_;  // guarded by rate_mu_
  std::vector<std::thread> threads_;
};

}  // namespace cronq::push
