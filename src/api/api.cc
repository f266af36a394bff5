// Routing, authentication and the shared request context.
#include "api/api.h"

#include <nlohmann/json.hpp>

#include "api/api_ctx.h"
#include "api/errors.h"
#include "core/validate.h"

namespace cronq::api {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Api::Api(Engine& engine, const TokenSet& tokens, Clock& clock, ApiOptions options)
    : engine_(engine),
      tokens_(tokens),
      clock_(clock),
      opt_(std::move(options)),
      logins_(opt_.login),
      events_(engine, clock, opt_.events_interval) {
  using S = Scope;
  routes_ = {
      {"GET", {"healthz"}, S::kRead, &Api::Healthz, true},
      {"GET", {"readyz"}, S::kRead, &Api::Readyz, true},
      {"GET", {"metrics"}, S::kRead, &Api::Metrics},
      {"POST", {"v1", "session"}, S::kRead, &Api::Login, true},
      {"GET", {"v1", "session"}, S::kRead, &Api::WhoAmI},
      {"DELETE", {"v1", "session"}, S::kRead, &Api::Logout},
      {"GET", {"v1", "events"}, S::kRead, &Api::Events},
      {"GET", {"v1", "audit"}, S::kRead, &Api::ListAudit},
      {"GET", {"v1", "throughput"}, S::kRead, &Api::GetThroughput},
      {"POST", {"v1", "queues", ":q", "clean"}, S::kAdmin, &Api::CleanQueue},
      {"POST", {"v1", "queues", ":q", "retry-failed"}, S::kAdmin, &Api::RetryFailed},
      {"GET", {"v1", "queues"}, S::kRead, &Api::ListQueues},
      {"GET", {"v1", "queues", ":q"}, S::kRead, &Api::GetQueue},
      {"PUT", {"v1", "queues", ":q"}, S::kAdmin, &Api::PutQueue},
      {"POST", {"v1", "queues", ":q", "pause"}, S::kAdmin, &Api::Pause},
      {"POST", {"v1", "queues", ":q", "resume"}, S::kAdmin, &Api::Resume},
      {"POST", {"v1", "queues", ":q", "jobs"}, S::kProducer, &Api::AddJobs},
      {"GET", {"v1", "queues", ":q", "jobs"}, S::kRead, &Api::ListJobs},
      {"GET", {"v1", "queues", ":q", "jobs", ":id"}, S::kRead, &Api::GetJob},
      {"DELETE", {"v1", "queues", ":q", "jobs", ":id"}, S::kAdmin, &Api::RemoveJob},
      {"POST", {"v1", "queues", ":q", "jobs", ":id", "retry"}, S::kAdmin, &Api::RetryJob},
      {"POST", {"v1", "queues", ":q", "jobs", ":id", "promote"}, S::kAdmin, &Api::PromoteJob},
      {"POST", {"v1", "queues", ":q", "fetch"}, S::kWorker, &Api::Fetch},
      {"POST", {"v1", "queues", ":q", "jobs", ":id", "complete"}, S::kWorker, &Api::Complete},
      {"POST", {"v1", "queues", ":q", "jobs", ":id", "fail"}, S::kWorker, &Api::Fail},
      {"POST", {"v1", "queues", ":q", "jobs", ":id", "extend"}, S::kWorker, &Api::Extend},
      {"POST", {"v1", "queues", ":q", "ack"}, S::kWorker, &Api::Ack},
      {"GET", {"v1", "schedules"}, S::kRead, &Api::ListSchedules},
      {"GET", {"v1", "schedules", ":s"}, S::kRead, &Api::GetSchedule},
      {"PUT", {"v1", "schedules", ":s"}, S::kProducer, &Api::PutSchedule},
      {"DELETE", {"v1", "schedules", ":s"}, S::kProducer, &Api::DeleteSchedule},
      {"POST", {"v1", "schedules", ":s", "trigger"}, S::kProducer, &Api::TriggerSchedule},
      {"POST", {"v1", "schedules", ":s", "pause"}, S::kAdmin, &Api::PauseSchedule},
      {"POST", {"v1", "schedules", ":s", "resume"}, S::kAdmin, &Api::ResumeSchedule},
  };
  http_counts_ = std::make_unique<std::array<std::atomic<uint64_t>, kCountedStatuses.size()>[]>(routes_.size() + 1);
}

Api::~Api() { Stop(); }

void Api::Stop() { events_.Stop(); }

void Api::CountHttp(size_t route, int status) {
  size_t slot = kCountedStatuses.size() - 1;  // "other"
  for (size_t i = 0; i + 1 < kCountedStatuses.size(); ++i)
    if (kCountedStatuses[i] == status) slot = i;
  http_counts_[std::min(route, routes_.size())][slot].fetch_add(1, std::memory_order_relaxed);
}

Actor Api::ActorOf(const Ctx& c) {
  if (!c.token) return {};
  return Actor{c.token->name, std::string(ScopeName(c.token->scope))};
}

// A bearer token wins; without one, the dashboard's session cookie, looked up in
// the store (so any replica knows it). A request that changes state with the
// cookie must carry the session's CSRF token in X-CSRF-Token: a page on another
// site can make the browser send the cookie (SameSite=Strict already stops most
// of that), but cannot read the token. Runs `next` once authenticated (at once
// for a bearer token, from the store's answer for a cookie), else answers.
void Api::Authenticate(const std::shared_ptr<Ctx>& c, std::function<void()> next) {
  std::string_view authorization = c->req.Header("authorization");
  if (!authorization.empty()) {
    Result<const Token*> tok = tokens_.Authenticate(authorization);
    if (!tok.ok()) return c->Error(tok.status());
    c->token = *tok;
    return next();
  }
  std::string_view sid = CookieValue(c->req.Header("cookie"), kSessionCookie);
  if (sid.empty()) return c->Error(Status::Unauthenticated("missing Authorization: Bearer <token> header"));
  std::string key = SessionKey(sid);
  if (key.empty()) return c->Error(Status::Unauthenticated("the session has ended: log in again"));
  engine_.GetSession(key, [this, c, key, next = std::move(next)](Result<std::optional<SessionRecord>> r) {
    if (!r.ok()) return c->Error(r.status());
    const Token* tok = *r ? tokens_.FindByFingerprint((*r)->token) : nullptr;
    if (!tok) return c->Error(Status::Unauthenticated("the session has ended: log in again"));
    const std::string& m = c->req.method;
    if (m != "GET" && m != "HEAD" && !SameSecret(c->req.Header("x-csrf-token"), (*r)->csrf))
      return c->Error(Status::PermissionDenied("missing or wrong X-CSRF-Token header (requests made with the session "
                                               "cookie must carry the session's CSRF token)"));
    // Each use keeps the session for the time-to-live again; written at most once
    // every kSessionRefresh, not at every request, and only if it still exists (a
    // logout meanwhile stays a logout).
    if ((*r)->expires - c->now < opt_.session_ttl - kSessionRefresh) {
      engine_.PutSession(key, SessionRecord{(*r)->token, (*r)->csrf, c->now + opt_.session_ttl},
                         /*only_existing=*/true, [](Result<Empty>) {});
    }
    c->token = tok;
    c->via_session = true;
    c->session_key = key;
    c->csrf = (*r)->csrf;
    next();
  });
}

void Api::Handle(net::HttpRequest&& req, net::Responder respond) {
  auto ctx = std::make_shared<Ctx>();
  ctx->req = std::move(req);
  ctx->respond = std::move(respond);
  ctx->now = clock_.Now();
  ctx->api = this;
  ctx->route = routes_.size();
  const std::vector<std::string> segs = Split(ctx->req.path);
  bool path_matched = false;
  for (size_t ri = 0; ri < routes_.size(); ++ri) {
    const Route& r = routes_[ri];
    if (r.pattern.size() != segs.size()) continue;
    bool match = true;
    std::string q, id;
    for (size_t i = 0; i < segs.size() && match; ++i) {
      if (r.pattern[i] == ":q" || r.pattern[i] == ":s") q = segs[i];
      else if (r.pattern[i] == ":id") id = segs[i];
      else match = r.pattern[i] == segs[i];
    }
    if (!match) continue;
    path_matched = true;
    if (r.method != ctx->req.method) continue;
    ctx->route = ri;
    auto dispatch = [this, ctx, q = std::move(q), id = std::move(id)]() mutable {
      Dispatch(ctx, std::move(q), std::move(id));
    };
    if (r.open) return dispatch();
    return Authenticate(ctx, std::move(dispatch));
  }
  if (path_matched) return ctx->Error(ErrorResponse(405, "method_not_allowed", "method not allowed on this path"));
  ctx->Error(ErrorResponse(404, "not_found", "no such endpoint: " + ctx->req.method + " " + ctx->req.path));
}

// The rest of Handle once the request is authenticated (or needs no token): the
// scope, the queue or schedule name, then the handler.
void Api::Dispatch(const std::shared_ptr<Ctx>& ctx, std::string q, std::string id) {
  using S = Scope;
  const Route& r = routes_[ctx->route];
  if (!r.open) {
    const Token* tok = ctx->token;
    if (!Allows(tok->scope, r.scope)) {
      return ctx->Error(Status::PermissionDenied("token '" + tok->name + "' has scope " +
                                                 std::string(ScopeName(tok->scope)) + "; this needs " +
                                                 std::string(ScopeName(r.scope))));
    }
  }
  if (!q.empty() && r.pattern.size() > 1 && r.pattern[1] == "queues" && q.rfind("cronq:", 0) == 0 &&
      r.scope != S::kRead && r.scope != S::kAdmin) {  // internal queues: cronq alone enqueues and works them
    return ctx->Error(Status::PermissionDenied("queue " + q + " is internal to cronq: it can be read, and admins "
                                               "may retry or remove its jobs"));
  }
  if (!q.empty()) {  // schedule names follow the queue-name rules
    Status st = ValidateQueueName(q);
    if (!st.ok()) {
      return ctx->Error(r.pattern[1] == "schedules"
                            ? Status::InvalidArgument("bad schedule name: names follow the queue-name rules (" +
                                                      st.message() + ")")
                            : st);
    }
  }
  if (r.pattern.size() >= 5 && r.pattern[1] == "queues" && r.pattern[4] == ":id" && id.empty())
    return ctx->Error(Status::InvalidArgument("job id is empty"));
  ctx->queue = std::move(q);
  ctx->id = std::move(id);
  ctx->self = ctx;
  (this->*r.fn)(*ctx);
}

// ---- Ctx --------------------------------------------------------------------

void Api::Ctx::Send(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  Send(std::move(r));
}

void Api::Ctx::Send(net::HttpResponse r) {
  if (answered.exchange(true)) return;
  if (api) api->CountHttp(route, r.status);
  net::Responder fn = std::move(respond);
  self.reset();
  fn(std::move(r));
}

// Stored text can hold bytes that are not UTF-8 (an app's error page): replace
// them rather than fail the answer.
void Api::Ctx::Json(int status, const nlohmann::json& j) {
  Send(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Api::Ctx::Error(const Status& st) { Send(ErrorResponse(st)); }
void Api::Ctx::Error(net::HttpResponse r) { Send(std::move(r)); }

Result<nlohmann::json> Api::Ctx::Body() const { return ParseBody(req.body); }

}  // namespace cronq::api
