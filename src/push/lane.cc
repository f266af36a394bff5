#include "push/lane.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "engine/await.h"

namespace cronq::push {

Lane::Lane(Engine& engine, Clock& clock, LaneOptions options, DeliverFn deliver)
    : engine_(engine), clock_(clock), opt_(std::move(options)), deliver_(std::move(deliver)), rate_(opt_.rate) {}

Lane::~Lane() {
  RequestStop();
  Join();
}

void Lane::Start() {
  running_ = opt_.threads;
  for (int i = 0; i < opt_.threads; ++i) threads_.emplace_back([this] {
    Run();
    --running_;
  });
}

void Lane::Join() {
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool Lane::ReserveStart(uint64_t& id) {
  while (!stopping_) {
    Millis wait = 0;
    {
      std::lock_guard lk(rate_mu_);
      if (auto r = rate_.Reserve(clock_.Now(), &wait)) {
        id = *r;
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<Millis>(wait, 1, 200)));
  }
  return false;
}

void Lane::Run() {
  FetchSpec spec{opt_.queue, 1, opt_.lock_ms, opt_.worker};
  spec.push = opt_.push;
  spec.max_active = opt_.max_active;
  spec.rate = opt_.store_rate;
  while (!stopping_) {
    uint64_t slot = 0;
    if (!ReserveStart(slot)) return;
    Result<std::vector<Lease>> leases =
        Await<std::vector<Lease>>([&](auto cb) { engine_.Fetch(spec, opt_.fetch_wait, cb); });
    {
      std::lock_guard lk(rate_mu_);
      if (leases.ok() && !leases->empty()) rate_.Confirm(slot, clock_.Now());
      else rate_.Cancel(slot);
    }
    if (!leases.ok()) {  // shutting down, no longer a push queue, or storage trouble: do not spin
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const Lease& l : *leases) {
      // Leased while stopping: not delivered; its lease expires and it is retried (at least once).
      if (stopping_) break;
      try {
        deliver_(l);
      } catch (const std::exception& e) {  // a delivery bug must never take the server down
        spdlog::error("event=push.error queue={} id={} error={:?}", l.queue, l.id, std::string(e.what()));
      }
    }
  }
}

}  // namespace cronq::push
