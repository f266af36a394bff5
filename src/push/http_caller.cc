#include "push/http_caller.h"

#include <spdlog/spdlog.h>

#include <future>
#include <nlohmann/json.hpp>

#include "net/http_client.h"

namespace cronq::push {
namespace {

using nlohmann::json;

template <typename T, typename Fn>
Result<T> Wait(Fn&& fn) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  fn([&p](Result<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

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
    Result<std::vector<Lease>> leases = Wait<std::vector<Lease>>([&](auto cb) {
      engine_.Fetch(FetchSpec{std::string(kHttpQueue), 1, kHttpTimeoutMax + 30'000, worker}, opt_.fetch_wait, cb);
    });
    if (!leases.ok()) {  // shutting down, or storage trouble: do not spin
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const Lease& l : *leases) Deliver(l);
  }
}

// Calls the URL once; the engine's retry rules do the rest.
void HttpCaller::Deliver(const Lease& lease) {
  auto fail = [&](const std::string& message, bool unrecoverable) {
    (void)Wait<AttemptEnd>([&](auto cb) {
      engine_.Fail(FailSpec{lease.queue, lease.id, lease.token, message, {}, unrecoverable}, cb);
    });
  };
  json req = json::parse(lease.data, nullptr, false);
  if (!req.is_object() || !req.contains("url") || !req["url"].is_string())
    return fail("not an HTTP request description", true);
  const std::string full = req["url"].get<std::string>();
  const size_t q = full.find('?');
  const std::string query = q == std::string::npos ? std::string() : full.substr(q);
  Result<net::Url> url = net::ParseUrl(std::string_view(full).substr(0, q));
  if (!url.ok() || url->scheme != "http") return fail("only http:// URLs can be called yet", true);
  const std::string method = req.value("method", "GET");
  const Millis timeout = std::clamp<Millis>(req.value("timeoutMs", 30'000), 1, kHttpTimeoutMax);
  net::Fields headers = {{"User-Agent", "cronq/0.1"},
                         {"Cronq-Job-Id", lease.id},
                         {"Cronq-Attempt", std::to_string(lease.attempt)}};
  if (!lease.fire_id.empty()) headers.emplace_back("Cronq-Fire-Id", lease.fire_id);
  if (req.contains("headers") && req["headers"].is_object())
    for (auto& [k, v] : req["headers"].items())
      if (v.is_string()) headers.emplace_back(k, v.get<std::string>());
  const std::string target = (url->base_path.empty() ? "/" : url->base_path) + query;
  net::HttpClient client(url->host, url->port, timeout);
  Result<net::ClientResponse> r = client.Request(method, target, req.value("body", std::string()), headers);
  if (!r.ok()) return fail("request failed: " + r.status().message(), false);
  if (r->status >= 200 && r->status < 300) {
    (void)Wait<AttemptEnd>([&](auto cb) {
      engine_.Complete(CompleteSpec{lease.queue, lease.id, lease.token, json{{"status", r->status}}.dump()}, cb);
    });
    return;
  }
  fail("HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200), false);
}

}  // namespace cronq::push
