#include "push/http_caller.h"

#include <nlohmann/json.hpp>

#include "engine/await.h"
#include "push/deliverer.h"

namespace cronq::push {
namespace {

LaneOptions CallerLane(const HttpCallerOptions& o) {
  LaneOptions l;
  l.queue = o.queue;
  l.threads = o.threads;
  l.lock_ms = 60'000;  // extended per call to the call's own timeout
  l.fetch_wait = o.fetch_wait;
  l.worker = "cronq-http-caller";
  return l;
}

}  // namespace

HttpCaller::HttpCaller(Engine& engine, Clock& clock, net::OutboundClient& client, HttpCallerOptions options)
    : engine_(engine), clock_(clock), client_(client),
      lane_(engine, clock, CallerLane(options), [this](const Lease& l) { Deliver(l); }) {}

HttpCaller::~HttpCaller() {
  RequestStop();
  Join();
}

void HttpCaller::Start() { lane_.Start(); }

// Calls the URL once; the engine's retry rules do the rest.
void HttpCaller::Deliver(const Lease& lease) {
  Result<HttpCall> call = DecodeHttpCall(lease.data);
  if (!call.ok()) {
    Verdict v;
    v.message = "cannot call: " + call.status().message();
    v.unrecoverable = true;
    return Finish(engine_, lease, v);
  }
  // Hold the lease for the whole call, and a margin to record its answer.
  if (!Await<TimeMs>([&](auto cb) {
         engine_.Extend(ExtendSpec{lease.queue, lease.id, lease.token, call->timeout + 30'000, std::nullopt, {}}, cb);
       }).ok())
    return;  // the lease is gone (shutdown or stale): do not call
  net::OutboundRequest req;
  req.method = call->method;
  req.url = call->url;
  req.headers = {{"User-Agent", std::string(kUserAgent)},
                 {"Cronq-Job-Id", lease.id},
                 {"Cronq-Attempt", std::to_string(lease.attempt)}};
  if (!lease.fire_id.empty()) req.headers.emplace_back("Cronq-Fire-Id", lease.fire_id);
  req.headers.insert(req.headers.end(), call->headers.begin(), call->headers.end());
  req.body = call->body;
  req.timeout = call->timeout;
  net::CallResult r = client_.Call(req);
  Verdict v = Judge(r, clock_.Now());
  if (v.complete) v.result = nlohmann::json{{"status", r.response.status}}.dump();
  Finish(engine_, lease, v);
}

}  // namespace cronq::push
