// The HTTP API: routes requests to the engine and turns answers into JSON.
//
// Handlers hold no business logic (Faktory's server/commands.go rule): parse,
// authorize, call the engine, serialize. The engine answers on the thread its
// `post` option names (the server's I/O threads), where serialization happens.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/events.h"
#include "api/login_limiter.h"
#include "api/session.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "net/http.h"

namespace cronq::api {

// A session used again is extended in the store at most this often.
inline constexpr Millis kSessionRefresh = 10 * 60 * 1000;

struct ApiOptions {
  std::string version = "0.1.0";
  Millis session_ttl = 12 * 3600 * 1000;  // dashboard sessions end after this long unused
  Millis events_interval = 1000;          // the event stream sends at most one update per stream this often
  LoginLimits login;                      // failed dashboard logins allowed per client address (api/login_limiter.h)
};

// The HTTP statuses /metrics counts one by one; anything else is "other".
inline constexpr std::array<int, 15> kCountedStatuses = {200, 201, 204, 400, 401, 403, 404, 405,
                                                         409, 413, 429, 431, 500, 503, 0};

class Api {
 public:
  Api(Engine& engine, const TokenSet& tokens, Clock& clock, ApiOptions options = {});
  ~Api();

  void Handle(net::HttpRequest&& req, net::Responder respond);
  // Ends the event streams (before the HTTP server stops).
  void Stop();
  // The engine's report of a committed batch (engine thread), for the event stream.
  void OnBatch(const BatchReport& r) { events_.OnBatch(r); }

  struct Ctx;  // one request in flight
  using Fn = void (Api::*)(Ctx&);
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // segments; ":q" (queue), ":id" (job) and ":s" (schedule) capture
    Scope scope;
    Fn fn;
    bool open = false;  // no token needed (health checks, login)
  };
  // Counts one answer for /metrics. `route` indexes routes_; routes_.size() is "no route".
  void CountHttp(size_t route, int status);

 private:
  void Healthz(Ctx& c);
  void Readyz(Ctx& c);
  void ListQueues(Ctx& c);
  void GetQueue(Ctx& c);
  void PutQueue(Ctx& c);
  void Pause(Ctx& c);
  void Resume(Ctx& c);
  void AddJobs(Ctx& c);
  void ListJobs(Ctx& c);
  void GetJob(Ctx& c);
  void RemoveJob(Ctx& c);
  void RetryJob(Ctx& c);
  void PromoteJob(Ctx& c);
  void Fetch(Ctx& c);
  void Complete(Ctx& c);
  void Fail(Ctx& c);
  void Extend(Ctx& c);
  void Ack(Ctx& c);
  void ListSchedules(Ctx& c);
  void GetSchedule(Ctx& c);
  void PutSchedule(Ctx& c);
  void DeleteSchedule(Ctx& c);
  void TriggerSchedule(Ctx& c);
  void PauseSchedule(Ctx& c);
  void ResumeSchedule(Ctx& c);
  void CleanQueue(Ctx& c);
  void RetryFailed(Ctx& c);
  void ListAudit(Ctx& c);
  void Login(Ctx& c);
  void WhoAmI(Ctx& c);
  void Logout(Ctx& c);
  void Metrics(Ctx& c);
  void GetThroughput(Ctx& c);
  void Events(Ctx& c);
  // Who is acting, for the audit log.
  static Actor ActorOf(const Ctx& c);
  // Authenticates by bearer token or session cookie (checking CSRF for cookie
  // writes), then runs `next`; answers the error instead.
  void Authenticate(const std::shared_ptr<Ctx>& c, std::function<void()> next);
  // Checks the route's scope and names, then runs its handler.
  void Dispatch(const std::shared_ptr<Ctx>& ctx, std::string q, std::string id);

  Engine& engine_;
  const TokenSet& tokens_;
  Clock& clock_;
  ApiOptions opt_;
  std::vector<Route> routes_;
  LoginLimiter logins_;
  EventHub events_;
  // Answers per (route, status), indexed [route][slot of kCountedStatuses].
  std::unique_ptr<std::array<std::atomic<uint64_t>, kCountedStatuses.size()>[]> http_counts_;
};

}  // namespace cronq::api
