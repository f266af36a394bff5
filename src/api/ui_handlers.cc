// Dashboard-facing endpoints: login sessions, the audit log, bulk operator
// actions and the event stream. Parse, call the engine, serialize.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "api/api_ctx.h"
#include "api/errors.h"
#include "core/validate.h"

namespace cronq::api {
namespace {

// Secure when the browser reached cronq over HTTPS through a TLS-terminating
// proxy (X-Forwarded-Proto: https): the cookie then never travels in clear. On a
// plain-HTTP listener (127.0.0.1) it cannot be Secure, or the browser would
// drop it. A client that fakes the header only locks itself out.
std::string SessionCookie(const net::HttpRequest& req, const std::string& value, Millis max_age) {
  std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age / 1000);
  std::string proto(req.Header("x-forwarded-proto"));
  for (char& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (proto == "https") c += "; Secure";
  return c;
}

// 429 for a client over its failed-login budget, with Retry-After in whole
// seconds (rounded up: a client that waits that long is free again).
net::HttpResponse TooManyLogins(Millis wait) {
  const int64_t secs = std::max<int64_t>(1, (wait + 999) / 1000);
  net::HttpResponse r = ErrorResponse(429, "rate_limited", "too many failed logins from this address: try again in " +
                                                               std::to_string(secs) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(secs));
  return r;
}

json SessionJson(const Token& t, const std::string& csrf) {
  json j = {{"name", t.name}, {"scope", ScopeName(t.scope)}};
  if (!csrf.empty()) j["csrf"] = csrf;
  return j;
}

}  // namespace

// POST /v1/session {token}: checks the token and answers with a session cookie
// and the session's CSRF token. Only JSON bodies are taken, so a plain HTML form
// on another site cannot log a browser in with the attacker's token. A client
// address with too many wrong tokens lately gets 429, even with a right one,
// until its window passes (api/login_limiter.h), so guessing stays slow.
void Api::Login(Ctx& c) {
  const std::string client = LoginClientKey(c.req.remote_addr);
  if (std::optional<Millis> wait = logins_.Blocked(client, c.now)) return c.Error(TooManyLogins(*wait));
  if (c.req.Header("content-type").substr(0, 16) != "application/json")
    return c.Error(Status::InvalidArgument("log in with a JSON body {\"token\": \"...\"}"));
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  if (!body->is_object()) return c.Error(Status::InvalidArgument("login body must be an object"));
  if (Status st = CheckKeys(*body, {"token"}, "login"); !st.ok()) return c.Error(st);
  if (!body->contains("token") || !(*body)["token"].is_string())
    return c.Error(Status::InvalidArgument("token must be a string"));
  Result<const Token*> tok = tokens_.Authenticate("Bearer " + (*body)["token"].get<std::string>());
  if (!tok.ok()) {
    logins_.Failed(client, c.now);
    return c.Error(tok.status());
  }
  const Token* token = *tok;
  NewSession s = MakeSession();
  SessionRecord rec{TokenFingerprint(token->secret), s.csrf, c.now + opt_.session_ttl};
  engine_.PutSession(SessionKey(s.id), std::move(rec), /*only_existing=*/false,
                     c.Then<Empty>([token, s, ttl = opt_.session_ttl](Ctx& c, Empty) {
                       net::HttpResponse r;
                       r.status = 200;
                       r.headers = {{"Set-Cookie", SessionCookie(c.req, s.id, ttl)}, {"Cache-Control", "no-store"}};
                       r.body = SessionJson(*token, s.csrf).dump();
                       c.Send(std::move(r));
                     }));
}

// GET /v1/session: who this is; with a cookie, also the CSRF token (a reloaded
// dashboard page learns it here, since it cannot read the HttpOnly cookie).
void Api::WhoAmI(Ctx& c) {
  net::HttpResponse r;
  r.headers = {{"Cache-Control", "no-store"}};
  r.body = SessionJson(*c.token, c.csrf).dump();
  c.Send(std::move(r));
}

void Api::Logout(Ctx& c) {
  auto done = [](Ctx& c, Empty) {
    net::HttpResponse r;
    r.headers = {{"Set-Cookie", SessionCookie(c.req, "", 0)}};
    r.body = R"({"ok":true})";
    c.Send(std::move(r));
  };
  if (!c.via_session) return done(c, Empty{});
  engine_.DeleteSession(c.session_key, c.Then<Empty>(done));
}

void Api::ListAudit(Ctx& c) {
  Result<int64_t> limit = QueryInt(c.req, "limit", 50, 1, 1000);
  if (!limit.ok()) return c.Error(limit.status());
  AuditQuery q{static_cast<int>(*limit), c.req.Query("cursor").value_or("")};
  engine_.ListAudit(std::move(q), c.Then<AuditPage>([](Ctx& c, AuditPage p) {
    json arr = json::array();
    for (const AuditEntry& e : p.entries) {
      json d = nullptr;
      if (!e.detail.empty()) d = json::parse(e.detail, nullptr, false);
      if (d.is_discarded()) d = e.detail;
      arr.push_back({{"seq", e.seq},
                     {"at", e.at},
                     {"actor", e.actor},
                     {"scope", e.scope},
                     {"action", e.action},
                     {"target", e.target},
                     {"detail", std::move(d)}});
    }
    c.Json(200, {{"entries", std::move(arr)}, {"nextCursor", p.next_cursor.empty() ? json(nullptr) : json(p.next_cursor)}});
  }));
}

// POST /v1/queues/{q}/clean {state, olderThanMs, limit}
void Api::CleanQueue(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  if (!body->is_object()) return c.Error(Status::InvalidArgument("clean body must be an object"));
  if (Status st = CheckKeys(*body, {"state", "olderThanMs", "limit"}, "clean"); !st.ok()) return c.Error(st);
  const json& b = *body;
  if (!b.contains("state") || !b["state"].is_string()) return c.Error(Status::InvalidArgument("state must be a string"));
  std::optional<JobState> state = ParseState(b["state"].get<std::string>());
  if (!state || *state == JobState::kActive)
    return c.Error(Status::InvalidArgument("state must be waiting, delayed, completed or failed"));
  int64_t older = 0, limit = 1000;
  if (b.contains("olderThanMs")) {
    if (!b["olderThanMs"].is_number_integer() || b["olderThanMs"].get<int64_t>() < 0)
      return c.Error(Status::InvalidArgument("olderThanMs must be a non-negative integer"));
    older = b["olderThanMs"].get<int64_t>();
  }
  if (b.contains("limit")) {
    if (!b["limit"].is_number_integer() || b["limit"].get<int64_t>() < 1 || b["limit"].get<int64_t>() > 100'000)
      return c.Error(Status::InvalidArgument("limit must be an integer between 1 and 100000"));
    limit = b["limit"].get<int64_t>();
  }
  engine_.Clean(c.queue, *state, c.now - older, static_cast<int>(limit),
                c.Then<BulkResult>([](Ctx& c, BulkResult r) { c.Json(200, {{"ok", true}, {"removed", r.count}}); }),
                ActorOf(c));
}

// POST /v1/queues/{q}/retry-failed {limit}
void Api::RetryFailed(Ctx& c) {
  int64_t limit = 1000;
  if (!c.req.body.empty()) {
    Result<json> body = c.Body();
    if (!body.ok()) return c.Error(body.status());
    if (!body->is_object()) return c.Error(Status::InvalidArgument("retry-failed body must be an object"));
    if (Status st = CheckKeys(*body, {"limit"}, "retry-failed"); !st.ok()) return c.Error(st);
    if (body->contains("limit")) {
      const json& l = (*body)["limit"];
      if (!l.is_number_integer() || l.get<int64_t>() < 1 || l.get<int64_t>() > 100'000)
        return c.Error(Status::InvalidArgument("limit must be an integer between 1 and 100000"));
      limit = l.get<int64_t>();
    }
  }
  engine_.RetryAllFailed(c.queue, static_cast<int>(limit), c.Then<BulkResult>([](Ctx& c, BulkResult r) {
    c.Json(200, {{"ok", true}, {"retried", r.count}});
  }), ActorOf(c));
}

// GET /v1/throughput: attempts ended per minute over the last hour, per queue,
// oldest minute first (kept in memory: a restart starts from zero).
void Api::GetThroughput(Ctx& c) {
  const MetricsSnapshot m = engine_.metrics().Snapshot();
  const int64_t now_min = c.now / 60'000;
  const int64_t first = now_min - kThroughputMinutes + 1;
  json queues = json::object();
  for (const auto& [q, tp] : m.throughput) {
    json done = json::array(), failed = json::array();
    for (int64_t mi = first; mi <= now_min; ++mi) {
      const MinuteCounts& mc = tp[static_cast<size_t>(mi % kThroughputMinutes)];
      done.push_back(mc.minute == mi ? mc.completed : 0);
      failed.push_back(mc.minute == mi ? mc.failed : 0);
    }
    queues[q] = {{"completed", std::move(done)}, {"failed", std::move(failed)}};
  }
  c.Json(200, {{"from", first * 60'000}, {"minuteMs", 60'000}, {"queues", std::move(queues)}});
}

// GET /v1/events: a text/event-stream that stays open (see api/events.h).
void Api::Events(Ctx& c) {
  net::HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers = {{"X-Accel-Buffering", "no"}};
  r.body = "retry: 3000\n\n";
  r.on_stream = [this](std::shared_ptr<net::StreamWriter> w) { events_.Add(std::move(w)); };
  c.Send(std::move(r));
}

}  // namespace cronq::api
