#include "cronq/client/connection.h"

#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/limits.h"
#include "net/http.h"
#include "net/http_client.h"

namespace cronq::client {
namespace {

Status FromHttp(int status, const nlohmann::json& body) {
  std::string msg = "HTTP " + std::to_string(status);
  if (!body.is_discarded() && body.is_object() && body.contains("error") && body["error"].is_object())
    msg += ": " + body["error"].value("message", std::string());
  switch (status) {
    case 400: return Status::InvalidArgument(msg);
    case 401: return Status::Unauthenticated(msg);
    case 403: return Status::PermissionDenied(msg);
    case 404: return Status::NotFound(msg);
    case 409: return Status::Conflict(msg);
    case 413: case 431: return Status::TooLarge(msg);
    case 503: return Status::Unavailable(msg);
    default: return Status::Internal(msg);
  }
}

}  // namespace

class Connection::Impl {
 public:
  Impl(net::Url url, std::string token, Millis timeout)
      : url_(std::move(url)), auth_("Bearer " + std::move(token)), timeout_(timeout) {}

  Result<nlohmann::json> Call(std::string_view method, std::string_view path, const nlohmann::json* body) {
    net::Fields headers = {{"Authorization", auth_}};
    std::string text;
    if (body) {
      text = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      headers.emplace_back("Content-Type", "application/json");
    }
    std::unique_ptr<net::HttpClient> http = Take();
    Result<net::ClientResponse> r = http->Request(method, url_.base_path + std::string(path), text, headers);
    Give(std::move(http));
    if (!r.ok()) return r.status();
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status < 200 || r->status >= 300) return FromHttp(r->status, j);
    if (j.is_discarded()) return Status::Internal("HTTP " + std::to_string(r->status) + ": the answer is not JSON");
    return j;
  }

 private:
  // Pooled connections: a call borrows one, so concurrent calls never share one.
  std::unique_ptr<net::HttpClient> Take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return std::make_unique<net::HttpClient>(url_.host, url_.port, timeout_);
  }
  void Give(std::unique_ptr<net::HttpClient> c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
  }

  static constexpr size_t kMaxIdle = 64;
  const net::Url url_;
  const std::string auth_;
  const Millis timeout_;
  std::mutex mu_;
  std::vector<std::unique_ptr<net::HttpClient>> idle_;
};

Result<std::shared_ptr<Connection>> Connection::Open(const ConnectionOptions& options) {
  Result<net::Url> url = net::ParseUrl(options.url);
  if (!url.ok()) return Status::InvalidArgument("bad server URL '" + options.url + "': " + url.status().message());
  if (url->scheme != "http") return Status::InvalidArgument("the C++ client speaks plain http, not " + options.url);
  std::string token = options.token;
  if (token.empty()) {
    if (const char* t = std::getenv("CRONQ_TOKEN"); t && *t) token = t;
  }
  if (token.empty()) return Status::Unauthenticated("no token: set ConnectionOptions::token or CRONQ_TOKEN");
  if (options.timeout.count() <= 0) return Status::InvalidArgument("the connection timeout must be positive");
  return std::shared_ptr<Connection>(
      new Connection(std::make_unique<Impl>(std::move(url).value(), std::move(token), options.timeout.count())));
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<nlohmann::json> Connection::Call(std::string_view method, std::string_view path, const nlohmann::json* body) {
  return impl_->Call(method, path, body);
}

std::string EncodePathSegment(std::string_view segment) { return net::PercentEncode(segment); }

bool IsValidQueueName(std::string_view name) {
  if (name.empty() || name.size() > limits::kQueueName) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace cronq::client
