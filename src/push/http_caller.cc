#include "push/http_caller.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "engine/await.h"
#include "net/http_client.h"

namespace cronq::push {
namespace {

using nlohmann::json;


}  // namespace

HttpCaller::HttpCaller(Engine& engine, HttpCallerOptions options) : engine_(engine), opt_(options) {}

HttpCaller::~HttpCaller() {
  RequestStop();
  Join();
}

void HttpCaller::Start() {
  for (int i = 0; i < opt_.threads; ++i) threads_.emplace_back([this] { Run(); });
}

void HttpCaller::Join() {
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void HttpCaller::Run() {
  const std::string worker = "cronq-http-caller";
  while (!stopping_) {
    Result<std::vector<Lease>> leases = Await<std::vector<Lease>>([&](auto cb) {
      engine_.Fetch(FetchSpec{opt_.queue, 1, 60'000, worker}, opt_.fetch_wait, cb);
    });
    if (!leases.ok()) {  // shutting down, or storage trouble: do not spin
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const Lease& l : *leases) {
      if (stopping_) break;  // leased during shutdown: not called, its lease expires, retried after restart
      try {
        Deliver(l);
      } catch (const std::exception& e) {  // a bad description must never take the server down
        (void)Await<AttemptEnd>([&](auto cb) {
          engine_.Fail(FailSpec{l.queue, l.id, l.token, std::string("cannot call: ") + e.what(), {}, true}, cb);
        });
      }
    }
  }
}

namespace {

// An app's answer may be any bytes: keep at most `max` bytes of valid UTF-8.
std::string PrintableUtf8(const std::string& in, size_t max) {
  std::string out;
  for (size_t i = 0; i < in.size() && out.size() < max;) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= in.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
    if (ok && (n > 1 || c >= 0x20 || c == '\n' || c == '\t')) {
      out.append(in, i, n);
      i += n;
    } else {
      out += '?';
      i += 1;
    }
  }
  return out;
}

}  // namespace

// Calls the URL once; the engine's retry rules do the rest.
void HttpCaller::Deliver(const Lease& lease) {
  auto fail = [&](const std::string& message, bool unrecoverable) {
    (void)Await<AttemptEnd>([&](auto cb) {
      engine_.Fail(FailSpec{lease.queue, lease.id, lease.token, message, {}, unrecoverable}, cb);
    });
  };
  Result<HttpCall> call = DecodeHttpCall(lease.data);
  if (!call.ok()) return fail(call.status().message(), true);
  const size_t q = call->url.find('?');
  const std::string query = q == std::string::npos ? std::string() : call->url.substr(q);
  Result<net::Url> url = net::ParseUrl(std::string_view(call->url).substr(0, q));  // validated: parses
  if (!url.ok()) return fail(url.status().message(), true);
  const Millis timeout = call->timeout;
  // Hold the lease for the whole call (connect + request may each take `timeout`).
  if (!Await<TimeMs>([&](auto cb) {
         engine_.Extend(ExtendSpec{lease.queue, lease.id, lease.token, 2 * timeout + 30'000, std::nullopt, {}}, cb);
       }).ok())
    return;  // the lease is gone (shutdown or stale): do not call
  net::Fields headers = {{"User-Agent", "cronq/0.1"},
                         {"Cronq-Job-Id", lease.id},
                         {"Cronq-Attempt", std::to_string(lease.attempt)}};
  if (!lease.fire_id.empty()) headers.emplace_back("Cronq-Fire-Id", lease.fire_id);
  headers.insert(headers.end(), call->headers.begin(), call->headers.end());
  const std::string target = (url->base_path.empty() ? "/" : url->base_path) + query;
  net::HttpClient client(url->host, url->port, timeout);
  Result<net::ClientResponse> r = client.Request(call->method, target, call->body, headers);
  if (!r.ok()) return fail("request failed: " + r.status().message(), false);
  if (r->status >= 200 && r->status < 300) {
    (void)Await<AttemptEnd>([&](auto cb) {
      engine_.Complete(CompleteSpec{lease.queue, lease.id, lease.token, json{{"status", r->status}}.dump()}, cb);
    });
    return;
  }
  fail("HTTP " + std::to_string(r->status) + ": " + PrintableUtf8(r->body, 200), false);
}

}  // namespace cronq::push
