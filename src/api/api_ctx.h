// Private to api/: the state of one request while the engine works on it.
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/json_codec.h"

namespace cronq::api {

struct Api::Ctx {
  net::HttpRequest req;
  net::Responder respond;
  TimeMs now = 0;
  const Token* token = nullptr;
  bool via_session = false;  // authenticated by the dashboard's session cookie
  std::string session_key, csrf;  // the session's store key (SessionKey) and CSRF token
  Api* api = nullptr;
  size_t route = 0;  // index into routes_, for /metrics
  std::string queue, id;
  std::shared_ptr<Ctx> self;  // keeps the context alive until answered
  std::atomic<bool> answered{false};

  void Send(int status, std::string body);
  void Send(net::HttpResponse r);
  void Json(int status, const nlohmann::json& j);
  void Error(const Status& st);
  void Error(net::HttpResponse r);
  Result<nlohmann::json> Body() const;

  // A callback for an engine answer: on error, answers with it; otherwise calls fn.
  template <typename T, typename Fn>
  Callback<T> Then(Fn fn) {
    return [c = self, fn = std::move(fn)](Result<T> r) mutable {
      if (!r.ok()) return c->Error(r.status());
      fn(*c, std::move(r).value());
    };
  }
};

// The integer query parameter `name` (def when absent), InvalidArgument naming it
// when it is not an integer in [lo, hi].
Result<int64_t> QueryInt(const net::HttpRequest& req, const char* name, int64_t def, int64_t lo, int64_t hi);

}  // namespace cronq::api
