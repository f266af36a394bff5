// Deliverer: push queues. For each queue with a push config it runs a Lane with
// `concurrency` threads (and the queue's rate limit) that POSTs each job to the
// queue's URL, signed (push/delivery.h), and turns the answer into the job's
// outcome: complete, fail (with the app's Retry-After or for good), or timeout.
//
// Configs are re-read every `refresh` (ListPushQueues), so a PUT takes effect
// within that time on every cronq process. A new URL, secret, timeout or header
// applies to the next delivery; a new concurrency or rate limit restarts the
// queue's lane once its deliveries in flight have ended. Limits are per process.
//
// Each job is leased for its timeout plus `lease_margin`: if cronq dies during a
// delivery, the lease expires and the job is delivered again (at least once).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/outbound.h"
#include "push/delivery.h"
#include "push/lane.h"

namespace cronq::push {

struct DelivererOptions {
  Millis refresh = 1'000;
  Millis fetch_wait = 5'000;
  Millis lease_margin = 5'000;
  // Other cronq processes share the store (Redis replicas): a queue's concurrency
  // and rate limit then count the deliveries of all of them, in the store, not
  // only this process's lanes.
  bool shared = false;
};

// Ends a lease as `v` says. Shared by push queues and URL schedules.
void Finish(Engine& engine, const Lease& lease, const Verdict& v);

class Deliverer {
 public:
  Deliverer(Engine& engine, Clock& clock, net::OutboundClient& client, DelivererOptions options = {});
  ~Deliverer();
  void Start();
  // Stops watching and fetching. Call before Engine::Stop(), then Join() after it.
  void RequestStop();
  void Join();

 private:
  struct QueueLane {
    std::shared_ptr<const PushConfig> config;  // read by deliveries, replaced on change
    std::unique_ptr<Lane> lane;                // null while the previous lane drains
  };
  void Watch();
  void Reconcile(const std::vector<PushQueue>& queues);
  void Deliver(const Lease& lease);
  std::unique_ptr<Lane> NewLane(const std::string& queue, const PushConfig& c);

  Engine& engine_;
  Clock& clock_;
  net::OutboundClient& client_;
  DelivererOptions opt_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, QueueLane> lanes_;       // guarded by mu_
  std::vector<std::unique_ptr<Lane>> retiring_;  // guarded by mu_: stopped lanes still draining
  std::thread watcher_;
};

}  // namespace cronq::push
