// The HTTP API: routes requests to the engine and turns answers into JSON.
//
// Handlers hold no business logic (Faktory's server/commands.go rule): parse,
// authorize, call the engine, serialize. The engine answers on the thread its
// `post` option names (the server's I/O threads), where serialization happens.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/auth.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "net/http.h"

namespace cronq::api {

struct ApiOptions {
  std::string version = "0.1.0";
};

class Api {
 public:
  Api(Engine& engine, const TokenSet& tokens, Clock& clock, ApiOptions options = {});

  void Handle(net::HttpRequest&& req, net::Responder respond);

  struct Ctx;  // one request in flight
  using Fn = void (Api::*)(Ctx&);
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // segments; ":q" (queue), ":id" (job) and ":s" (schedule) capture
    Scope scope;
    Fn fn;
    bool open = false;  // no token needed (health checks)
  };

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

  Engine& engine_;
  const TokenSet& tokens_;
  Clock& clock_;
  ApiOptions opt_;
  std::vector<Route> routes_;
};

}  // namespace cronq::api
