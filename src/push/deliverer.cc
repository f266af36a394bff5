#include "push/deliverer.h"

#include <spdlog/spdlog.h>

#include "engine/await.h"

namespace cronq::push {

void Finish(Engine& engine, const Lease& lease, const Verdict& v) {
  if (v.complete) {
    (void)Await<AttemptEnd>([&](auto cb) {
      engine.Complete(CompleteSpec{lease.queue, lease.id, lease.token, v.result}, cb);
    });
    return;
  }
  FailSpec f;
  f.queue = lease.queue;
  f.id = lease.id;
  f.token = lease.token;
  f.message = v.message;
  f.unrecoverable = v.unrecoverable;
  f.timed_out = v.timed_out;
  f.retry_delay = v.retry_delay;
  // A stale token (the lease expired meanwhile) is fine: the job was requeued.
  (void)Await<AttemptEnd>([&](auto cb) { engine.Fail(std::move(f), cb); });
}

Deliverer::Deliverer(Engine& engine, Clock& clock, net::OutboundClient& client, DelivererOptions options)
    : engine_(engine), clock_(clock), client_(client), opt_(options) {}

Deliverer::~Deliverer() {
  RequestStop();
  Join();
}

void Deliverer::Start() { watcher_ = std::thread([this] { Watch(); }); }

void Deliverer::RequestStop() {
  std::lock_guard lk(mu_);
  stopping_ = true;
  for (auto& [q, ql] : lanes_)
    if (ql.lane) ql.lane->RequestStop();
  for (auto& l : retiring_) l->RequestStop();
  cv_.notify_all();
}

void Deliverer::Join() {
  if (watcher_.joinable()) watcher_.join();
  std::map<std::string, QueueLane> lanes;
  {
    std::lock_guard lk(mu_);
    lanes.swap(lanes_);
  }
  std::vector<std::unique_ptr<Lane>> retiring;
  {
    std::lock_guard lk(mu_);
    retiring.swap(retiring_);
  }
  for (auto& [q, ql] : lanes)
    if (ql.lane) ql.lane->Join();
  for (auto& l : retiring) l->Join();
}

void Deliverer::Watch() {
  while (!stopping_) {
    Result<std::vector<PushQueue>> qs =
        Await<std::vector<PushQueue>>([&](auto cb) { engine_.ListPushQueues(cb); });
    if (qs.ok()) Reconcile(*qs);
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, std::chrono::milliseconds(opt_.refresh), [&] { return stopping_.load(); });
  }
}

std::unique_ptr<Lane> Deliverer::NewLane(const std::string& queue, const PushConfig& c) {
  LaneOptions o;
  o.queue = queue;
  o.threads = c.concurrency;
  o.push = true;
  if (opt_.shared) {  // the caps count every replica's deliveries, in the store
    o.max_active = c.concurrency;
    o.store_rate = c.rate;
  }
  o.rate = c.rate;
  o.lock_ms = c.timeout + opt_.lease_margin;
  o.fetch_wait = opt_.fetch_wait;
  o.worker = "cronq-push";
  auto lane = std::make_unique<Lane>(engine_, clock_, o, [this](const Lease& l) { Deliver(l); });
  lane->Start();
  spdlog::info("event=push.lane queue={} concurrency={} url={:?}", queue, c.concurrency, c.url);
  return lane;
}

void Deliverer::Reconcile(const std::vector<PushQueue>& queues) {
  std::lock_guard lk(mu_);
  std::erase_if(retiring_, [](const std::unique_ptr<Lane>& l) {
    if (!l->Finished()) return false;
    l->Join();  // its threads have returned: immediate
    return true;
  });
  if (stopping_) return;
  std::map<std::string, const PushConfig*> wanted;
  for (const PushQueue& q : queues) wanted[q.name] = &q.push;
  for (auto it = lanes_.begin(); it != lanes_.end();) {  // no longer push queues
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.lane) {
      it->second.lane->RequestStop();
      retiring_.push_back(std::move(it->second.lane));
    }
    it = lanes_.erase(it);
  }
  for (const auto& [name, c] : wanted) {
    QueueLane& ql = lanes_[name];
    if (!ql.config || !(*ql.config == *c)) ql.config = std::make_shared<const PushConfig>(*c);
    if (ql.lane) {
      const LaneOptions& o = ql.lane->options();
      if (o.threads == c->concurrency && o.rate == c->rate && o.lock_ms == c->timeout + opt_.lease_margin) continue;
      ql.lane->RequestStop();
      retiring_.push_back(std::move(ql.lane));
    }
    // A lane for this queue still draining: the new one waits, so the cap holds.
    bool draining = false;
    for (const auto& l : retiring_) draining = draining || l->options().queue == name;
    if (!draining) ql.lane = NewLane(name, *c);
  }
}

void Deliverer::Deliver(const Lease& lease) {
  std::shared_ptr<const PushConfig> c;
  {
    std::lock_guard lk(mu_);
    auto it = lanes_.find(lease.queue);
    if (it != lanes_.end()) c = it->second.config;
  }
  if (!c) return;  // no longer a push queue: the lease expires and the job goes back
  net::OutboundRequest req;
  req.method = "POST";
  req.url = c->url;
  req.body = PushBody(lease);
  req.headers = PushHeaders(lease, *c, req.body, clock_.Now() / 1000);
  req.timeout = c->timeout;
  net::CallResult r = client_.Call(req);
  Finish(engine_, lease, Judge(r, clock_.Now()));
}

}  // namespace cronq::push
