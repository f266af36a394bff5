// The endpoint handlers: parse, call the engine, serialize. Nothing else.
#include <nlohmann/json.hpp>

#include "api/api_ctx.h"
#include "api/errors.h"
#include "api/schedule_json.h"
#include "push/http_caller.h"
#include "core/limits.h"
#include "core/validate.h"

namespace cronq::api {
namespace {

json Ok() { return {{"ok", true}}; }

// The same error with the failing entry named first ("jobs[3]: ...").
Status Prefixed(const Status& st, const std::string& where) {
  return st.code() == Code::kTooLarge ? Status::TooLarge(where + st.message())
                                      : Status::InvalidArgument(where + st.message());
}

json StatusEntry(const std::string& id, const Status& st) {
  json e = {{"id", id}, {"ok", st.ok()}};
  if (!st.ok()) e["error"] = {{"code", CodeName(st.code())}, {"message", st.message()}};
  return e;
}

}  // namespace

Result<int64_t> QueryInt(const net::HttpRequest& req, const char* name, int64_t def, int64_t lo, int64_t hi) {
  std::optional<std::string> v = req.Query(name);
  if (!v || v->empty()) return def;
  try {
    size_t used = 0;
    int64_t n = std::stoll(*v, &used);
    if (used != v->size() || n < lo || n > hi) throw std::out_of_range("");
    return n;
  } catch (...) {
    return Status::InvalidArgument(std::string(name) + " must be an integer between " + std::to_string(lo) + " and " +
                                   std::to_string(hi));
  }
}

void Api::Healthz(Ctx& c) { c.Json(200, {{"status", "ok"}, {"version", opt_.version}}); }

void Api::Readyz(Ctx& c) {
  bool ok = engine_.healthy();
  c.Json(ok ? 200 : 503, {{"ready", ok}});
}

void Api::ListQueues(Ctx& c) {
  const TimeMs now = c.now;
  engine_.ListQueues(c.Then<std::vector<QueueInfo>>([this, now](Ctx& c, std::vector<QueueInfo> qs) {
    const std::map<std::string, int> workers = engine_.metrics().Workers(now, kWorkerWindow);
    json arr = json::array();
    for (const QueueInfo& q : qs) {
      arr.push_back(QueueJson(q, now));
      auto w = workers.find(q.name);
      arr.back()["workers"] = w == workers.end() ? 0 : w->second;
    }
    c.Json(200, {{"queues", std::move(arr)}});
  }));
}

void Api::GetQueue(Ctx& c) {
  const TimeMs now = c.now;
  engine_.GetQueue(c.queue, c.Then<QueueInfo>([this, now](Ctx& c, QueueInfo q) {
    json j = QueueJson(q, now);
    const std::map<std::string, int> workers = engine_.metrics().Workers(now, kWorkerWindow);
    auto w = workers.find(q.name);
    j["workers"] = w == workers.end() ? 0 : w->second;
    c.Json(200, j);
  }));
}

// PUT creates the queue; `paused`, `push` and `defaultJobOptions` change what
// they name and leave the rest as it is.
void Api::PutQueue(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  Result<QueueUpdate> u = ParseQueueUpdate(*body);
  if (!u.ok()) return c.Error(u.status());
  const TimeMs now = c.now;
  engine_.UpdateQueue(c.queue, std::move(u).value(),
                      c.Then<QueueInfo>([now](Ctx& c, QueueInfo qi) { c.Json(200, QueueJson(qi, now)); }), ActorOf(c));
}

void Api::Pause(Ctx& c) {
  engine_.SetPaused(c.queue, true, c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}, {"paused", true}}); }),
                    ActorOf(c));
}

void Api::Resume(Ctx& c) {
  engine_.SetPaused(c.queue, false,
                    c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}, {"paused", false}}); }), ActorOf(c));
}

// One job {name, data, opts} or a batch {jobs: [...]}, answered in request order.
void Api::AddJobs(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  std::vector<NewJob> jobs;
  const bool batch = body->is_object() && body->contains("jobs");
  if (batch && body->size() != 1) return c.Error(Status::InvalidArgument("a batch body has only the field 'jobs'"));
  if (batch) {
    const json& arr = (*body)["jobs"];
    if (!arr.is_array() || arr.empty()) return c.Error(Status::InvalidArgument("jobs must be a non-empty array"));
    if (arr.size() > limits::kBatch)
      return c.Error(Status::TooLarge("at most " + std::to_string(limits::kBatch) + " jobs per batch"));
    jobs.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      Result<NewJob> j = ParseNewJob(arr[i]);
      if (!j.ok()) return c.Error(Prefixed(j.status(), "jobs[" + std::to_string(i) + "]: "));
      jobs.push_back(std::move(j).value());
    }
  } else {
    Result<NewJob> j = ParseNewJob(*body);
    if (!j.ok()) return c.Error(j.status());
    jobs.push_back(std::move(j).value());
  }
  engine_.Enqueue(c.queue, std::move(jobs), c.Then<std::vector<EnqueueResult>>([batch](Ctx& c, std::vector<EnqueueResult> rs) {
    if (!batch) {
      const EnqueueResult& r = rs[0];
      return c.Json(r.duplicate ? 200 : 201, {{"id", r.id}, {"duplicate", r.duplicate}, {"state", StateName(r.state)}});
    }
    std::string out = "{\"jobs\":[";
    for (size_t i = 0; i < rs.size(); ++i) {
      if (i) out += ',';
      out += "{\"id\":" + json(rs[i].id).dump() + ",\"duplicate\":" + (rs[i].duplicate ? "true" : "false") + "}";
    }
    out += "]}";
    c.Send(201, std::move(out));
  }));
}

void Api::ListJobs(Ctx& c) {
  JobQuery q;
  if (auto s = c.req.Query("state"); s && !s->empty()) {
    q.state = ParseState(*s);
    if (!q.state) return c.Error(Status::InvalidArgument("state must be waiting, delayed, active, completed or failed"));
  }
  q.text = c.req.Query("q").value_or("");
  if (q.text.size() > 256) return c.Error(Status::InvalidArgument("q is longer than 256 characters"));
  q.cursor = c.req.Query("cursor").value_or("");
  Result<int64_t> limit = QueryInt(c.req, "limit", 50, 1, 1000);
  Result<int64_t> from = QueryInt(c.req, "from", 0, 0, INT64_MAX);
  Result<int64_t> to = QueryInt(c.req, "to", 0, 0, INT64_MAX);
  for (const auto* r : {&limit, &from, &to})
    if (!r->ok()) return c.Error(r->status());
  q.limit = static_cast<int>(*limit);
  q.from = *from;
  q.to = *to;
  engine_.ListJobs(c.queue, std::move(q), c.Then<JobPage>([](Ctx& c, JobPage p) {
    json arr = json::array();
    for (const Job& j : p.jobs) {
      arr.push_back(JobJson(j, false));
      if (j.queue == push::kHttpQueue) MaskSecrets(arr.back()["data"]);
    }
    c.Json(200, {{"jobs", std::move(arr)}, {"nextCursor", p.next_cursor.empty() ? json(nullptr) : json(p.next_cursor)}});
  }));
}

void Api::GetJob(Ctx& c) {
  engine_.GetJob(c.queue, c.id, c.Then<Job>([](Ctx& c, Job j) {
    json out = JobJson(j, true);
    if (j.queue == push::kHttpQueue) MaskSecrets(out["data"]);
    c.Json(200, out);
  }));
}

void Api::RemoveJob(Ctx& c) {
  engine_.Remove(c.queue, c.id, c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, Ok()); }), ActorOf(c));
}

void Api::RetryJob(Ctx& c) {
  engine_.Retry(c.queue, c.id, c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}, {"state", "waiting"}}); }),
                ActorOf(c));
}

void Api::PromoteJob(Ctx& c) {
  engine_.Promote(c.queue, c.id, c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}, {"state", "waiting"}}); }),
                  ActorOf(c));
}

void Api::Fetch(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  Result<FetchBody> f = ParseFetch(*body);
  if (!f.ok()) return c.Error(f.status());
  FetchSpec spec{c.queue, f->max, f->lock_ms, f->worker.empty() ? c.req.remote_addr : f->worker};
  // A fetch's only Conflict is a push queue (Store::LeaseNext), code "push_queue".
  engine_.Fetch(std::move(spec), f->wait_ms,
                [c = c.self](Result<std::vector<Lease>> r) {
                  if (r.ok()) return c->Send(200, LeasesJson(*r));
                  if (r.status().IsConflict()) return c->Error(ErrorResponse(409, "push_queue", r.status().message()));
                  c->Error(r.status());
                },
                c.req.client_gone);
}

void Api::Complete(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  Result<CompleteSpec> s = ParseComplete(*body, c.queue, c.id);
  if (!s.ok()) return c.Error(s.status());
  engine_.Complete(std::move(s).value(), c.Then<AttemptEnd>([](Ctx& c, AttemptEnd e) {
    c.Json(200, {{"ok", true}, {"state", StateName(e.state_after)}, {"attemptsMade", e.attempt}});
  }));
}

void Api::Fail(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  Result<FailSpec> s = ParseFail(*body, c.queue, c.id);
  if (!s.ok()) return c.Error(s.status());
  engine_.Fail(std::move(s).value(), c.Then<AttemptEnd>([](Ctx& c, AttemptEnd e) {
    c.Json(200, {{"ok", true}, {"state", StateName(e.state_after)}, {"attemptsMade", e.attempt}});
  }));
}

void Api::Extend(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  Result<ExtendSpec> s = ParseExtend(*body, c.queue, c.id);
  if (!s.ok()) return c.Error(s.status());
  engine_.Extend(std::move(s).value(),
                 c.Then<TimeMs>([](Ctx& c, TimeMs until) { c.Json(200, {{"ok", true}, {"lockUntil", until}}); }));
}

// {complete: [{id, token, result}], fail: [{id, token, error, unrecoverable}],
// fetch?: {max, waitMs, lockMs, worker}}: one result per entry, so one stale token
// does not sink the batch. With `fetch`, the answer also holds the next jobs
// (`jobs`), leased in the acknowledgement's own commit; only when none is ready
// does it wait, as a fetch, up to waitMs for one.
void Api::Ack(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  if (!body->is_object()) return c.Error(Status::InvalidArgument("ack body must be an object"));
  std::vector<CompleteSpec> done;
  std::vector<FailSpec> failed;
  auto ids = std::make_shared<std::pair<std::vector<std::string>, std::vector<std::string>>>();
  for (auto it = body->begin(); it != body->end(); ++it) {
    if (it.key() == "fetch") continue;
    if (it.key() != "complete" && it.key() != "fail")
      return c.Error(Status::InvalidArgument("unknown field '" + it.key() + "' in ack"));
    if (!it->is_array()) return c.Error(Status::InvalidArgument(it.key() + " must be an array"));
  }
  const json empty = json::array();
  const json& cs = body->contains("complete") ? (*body)["complete"] : empty;
  const json& fs = body->contains("fail") ? (*body)["fail"] : empty;
  if (cs.size() + fs.size() > limits::kBatch)
    return c.Error(Status::TooLarge("at most " + std::to_string(limits::kBatch) + " entries per ack"));
  for (size_t i = 0; i < cs.size(); ++i) {
    const json& e = cs[i];
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string())
      return c.Error(Status::InvalidArgument("complete[" + std::to_string(i) + "].id must be a string"));
    Result<CompleteSpec> s = ParseComplete(e, c.queue, e["id"].get<std::string>());
    if (!s.ok()) return c.Error(Prefixed(s.status(), "complete[" + std::to_string(i) + "]: "));
    ids->first.push_back(s->id);
    done.push_back(std::move(s).value());
  }
  for (size_t i = 0; i < fs.size(); ++i) {
    const json& e = fs[i];
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string())
      return c.Error(Status::InvalidArgument("fail[" + std::to_string(i) + "].id must be a string"));
    Result<FailSpec> s = ParseFail(e, c.queue, e["id"].get<std::string>());
    if (!s.ok()) return c.Error(Prefixed(s.status(), "fail[" + std::to_string(i) + "]: "));
    ids->second.push_back(s->id);
    failed.push_back(std::move(s).value());
  }
  auto acks_json = [ids](const AckResults& r) {
    json cj = json::array(), fj = json::array();
    for (size_t i = 0; i < r.complete.size(); ++i) cj.push_back(StatusEntry(ids->first[i], r.complete[i]));
    for (size_t i = 0; i < r.fail.size(); ++i) fj.push_back(StatusEntry(ids->second[i], r.fail[i]));
    return json{{"complete", std::move(cj)}, {"fail", std::move(fj)}};
  };
  auto fetch = body->find("fetch");
  if (fetch == body->end()) {
    engine_.Ack(std::move(done), std::move(failed),
                c.Then<AckResults>([acks_json](Ctx& c, AckResults r) { c.Json(200, acks_json(r)); }));
    return;
  }
  Result<FetchBody> f = ParseFetch(*fetch);
  if (!f.ok()) return c.Error(Prefixed(f.status(), "fetch: "));
  FetchSpec spec{c.queue, f->max, f->lock_ms, f->worker.empty() ? c.req.remote_addr : f->worker};
  // {"complete":[..],"fail":[..]} and {"jobs":[..]} as one object.
  auto answer = [acks_json](Ctx& c, const AckResults& acks, const std::vector<Lease>& leases) {
    std::string out = acks_json(acks).dump();
    out.back() = ',';
    out += std::string_view(LeasesJson(leases)).substr(1);
    c.Send(200, std::move(out));
  };
  engine_.AckThenFetch(
      std::move(done), std::move(failed), spec,
      [this, c = c.self, spec, wait = f->wait_ms, answer](Result<AckAndLeases> r) mutable {
        if (!r.ok()) return c->Error(r.status());
        if (!r->leases.empty() || wait <= 0) return answer(*c, r->acks, r->leases);
        // The acknowledgements are on disk; wait for a job as a fetch does.
        engine_.Fetch(
            std::move(spec), wait,
            [c, acks = std::move(r->acks), answer](Result<std::vector<Lease>> l) {
              // The acknowledgements stand even if this wait fails (a shutdown): no jobs then.
              answer(*c, acks, l.ok() ? *l : std::vector<Lease>{});
            },
            c->req.client_gone);
      },
      c.req.client_gone);
}

}  // namespace cronq::api
