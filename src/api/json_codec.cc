#include "api/json_codec.h"

#include <nlohmann/json.hpp>

#include "api/schedule_json.h"
#include "core/limits.h"
#include "core/validate.h"
#include "push/push_config.h"

namespace cronq::api {
namespace {

struct TooDeep {};

// An integer, also when written as 5.0; fractions and out-of-range values are errors.
Result<int64_t> AsInt(const json& v, const std::string& what) {
  constexpr double kMaxExact = 9007199254740992.0;  // 2^53
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return Status::InvalidArgument(what + " is too large");
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d >= -kMaxExact && d <= kMaxExact && d == static_cast<double>(static_cast<int64_t>(d)))
      return static_cast<int64_t>(d);
  }
  return Status::InvalidArgument(what + " must be an integer");
}

// Reads an optional integer field; a present field of another type is an error.
Status GetInt(const json& obj, const char* key, int64_t& out, const char* prefix = "") {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  Result<int64_t> v = AsInt(*it, std::string(prefix) + key);
  if (!v.ok()) return v.status();
  out = *v;
  return Status::Ok();
}

Status GetString(const json& obj, const char* key, std::string& out, size_t max, const char* prefix = "") {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Status::InvalidArgument(std::string(prefix) + key + " must be a string");
  out = it->get<std::string>();
  if (out.size() > max)
    return Status::TooLarge(std::string(prefix) + key + " is longer than " + std::to_string(max) + " bytes");
  return Status::Ok();
}

Result<Backoff> ParseBackoff(const json& j) {
  Backoff b;
  if (j.is_number()) {  // BullMQ shorthand: a fixed delay in ms
    b.type = Backoff::Type::kFixed;
    CRONQ_ASSIGN_OR_RETURN(b.delay, AsInt(j, "opts.backoff"));
    return b;
  }
  if (!j.is_object()) return Status::InvalidArgument("opts.backoff must be a number or {type, delay, jitter}");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"type", "delay", "jitter", "maxDelay"}, "opts.backoff"));
  std::string type = "fixed";
  CRONQ_RETURN_IF_ERROR(GetString(j, "type", type, 32, "opts.backoff."));
  if (type == "fixed") b.type = Backoff::Type::kFixed;
  else if (type == "exponential") b.type = Backoff::Type::kExponential;
  else return Status::InvalidArgument("opts.backoff.type must be \"fixed\" or \"exponential\"");
  CRONQ_RETURN_IF_ERROR(GetInt(j, "delay", b.delay, "opts.backoff."));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "maxDelay", b.max_delay, "opts.backoff."));
  if (auto it = j.find("jitter"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return Status::InvalidArgument("opts.backoff.jitter must be a number between 0 and 1");
    b.jitter = it->get<double>();
  }
  return b;
}

// BullMQ's KeepJobs: true | false | count | {age (seconds), count}.
Result<Retention> ParseRetention(const json& j, const char* field) {
  Retention r;
  if (j.is_boolean()) {
    r.remove_now = j.get<bool>();
    return r;
  }
  if (j.is_number()) {
    CRONQ_ASSIGN_OR_RETURN(r.count, AsInt(j, std::string("opts.") + field));
    if (r.count < 0) return Status::InvalidArgument(std::string("opts.") + field + " must be >= 0");
    return r;
  }
  if (!j.is_object()) return Status::InvalidArgument(std::string("opts.") + field + " must be a boolean, a count or {age, count}");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"age", "count"}, field));
  int64_t age_s = -1;
  CRONQ_RETURN_IF_ERROR(GetInt(j, "age", age_s, field));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "count", r.count, field));
  if (age_s < -1 || age_s > limits::kRetentionAgeMax / 1000)
    return Status::InvalidArgument(std::string("opts.") + field + ".age must be between 0 and 10 years (in seconds)");
  if (r.count < -1) return Status::InvalidArgument(std::string("opts.") + field + ".count must be >= 0");
  if (age_s >= 0) r.age = age_s * 1000;
  return r;
}

}  // namespace

Status CheckKeys(const json& obj, std::initializer_list<std::string_view> allowed, const char* what) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || it.key() == a;
    if (!ok) return Status::InvalidArgument(std::string("unknown field '") + it.key() + "' in " + what);
  }
  return Status::Ok();
}

Result<json> ParseBody(std::string_view body) {
  if (body.empty()) return json::object();
  try {
    json::parser_callback_t depth_guard = [](int depth, json::parse_event_t, json&) -> bool {
      if (depth > limits::kJsonDepth) throw TooDeep{};
      return true;
    };
    return json::parse(body.begin(), body.end(), depth_guard);
  } catch (const TooDeep&) {
    return Status::InvalidArgument("JSON nested deeper than " + std::to_string(limits::kJsonDepth) + " levels");
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
}

Result<JobOptions> ParseOptions(const json& j) {
  JobOptions o;
  if (j.is_null()) return o;
  if (!j.is_object()) return Status::InvalidArgument("opts must be an object");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"attempts", "backoff", "delay", "priority", "jobId", "timeout",
                                      "removeOnComplete", "removeOnFail", "maxStalls"},
                                  "opts"));
  int64_t attempts = o.attempts, delay = 0, priority = 0, timeout = 0, max_stalls = o.max_stalls;
  CRONQ_RETURN_IF_ERROR(GetInt(j, "attempts", attempts, "opts."));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "delay", delay, "opts."));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "priority", priority, "opts."));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "timeout", timeout, "opts."));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "maxStalls", max_stalls, "opts."));
  if (attempts < 0 || attempts > limits::kAttemptsMax) return Status::InvalidArgument("opts.attempts out of range");
  if (priority < 0 || priority > limits::kPriorityMax) return Status::InvalidArgument("opts.priority out of range");
  if (max_stalls < 0 || max_stalls > 1000) return Status::InvalidArgument("opts.maxStalls out of range");
  o.attempts = static_cast<int>(attempts);
  o.delay = delay;
  o.priority = static_cast<int>(priority);
  o.timeout = timeout;
  o.max_stalls = static_cast<int>(max_stalls);
  CRONQ_RETURN_IF_ERROR(GetString(j, "jobId", o.job_id, limits::kJobId, "opts."));
  if (auto it = j.find("backoff"); it != j.end() && !it->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(o.backoff, ParseBackoff(*it));
  }
  if (auto it = j.find("removeOnComplete"); it != j.end() && !it->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(o.remove_on_complete, ParseRetention(*it, "removeOnComplete"));
  }
  if (auto it = j.find("removeOnFail"); it != j.end() && !it->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(o.remove_on_fail, ParseRetention(*it, "removeOnFail"));
  }
  return o;
}

namespace {

Result<PushConfig> ParsePush(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("push must be an object {url, secrets, ...} or null");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"url", "secrets", "timeoutMs", "concurrency", "rateLimit", "headers"}, "push"));
  PushConfig p;
  auto url = j.find("url");
  if (url == j.end() || !url->is_string()) return Status::InvalidArgument("push.url is required and must be a string");
  p.url = url->get<std::string>();
  auto secrets = j.find("secrets");
  if (secrets == j.end() || !secrets->is_array())
    return Status::InvalidArgument("push.secrets is required: an array of one or two strings (current, next)");
  for (const json& s : *secrets) {
    if (!s.is_string()) return Status::InvalidArgument("push.secrets must be strings");
    p.secrets.push_back(s.get<std::string>());
  }
  int64_t concurrency = p.concurrency;
  CRONQ_RETURN_IF_ERROR(GetInt(j, "timeoutMs", p.timeout, "push."));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "concurrency", concurrency, "push."));
  if (concurrency < 1 || concurrency > push::kPushConcurrencyMax)
    return Status::InvalidArgument("push.concurrency must be between 1 and " + std::to_string(push::kPushConcurrencyMax));
  p.concurrency = static_cast<int>(concurrency);
  if (auto r = j.find("rateLimit"); r != j.end() && !r->is_null()) {
    if (!r->is_object()) return Status::InvalidArgument("push.rateLimit must be {max, perMs} or null");
    CRONQ_RETURN_IF_ERROR(CheckKeys(*r, {"max", "perMs"}, "push.rateLimit"));
    int64_t max = 0;
    CRONQ_RETURN_IF_ERROR(GetInt(*r, "max", max, "push.rateLimit."));
    CRONQ_RETURN_IF_ERROR(GetInt(*r, "perMs", p.rate.per, "push.rateLimit."));
    if (max < 1 || max > 1'000'000 || p.rate.per < 1)
      return Status::InvalidArgument("push.rateLimit must be {max: 1..1000000, perMs: 1..86400000}");
    p.rate.max = static_cast<int>(max);
  }
  if (auto h = j.find("headers"); h != j.end() && !h->is_null()) {
    if (!h->is_object()) return Status::InvalidArgument("push.headers must be an object of strings");
    for (auto it = h->begin(); it != h->end(); ++it) {
      if (!it->is_string()) return Status::InvalidArgument("push.headers must be an object of strings");
      p.headers.emplace_back(it.key(), it->get<std::string>());
    }
  }
  CRONQ_RETURN_IF_ERROR(push::ValidatePushConfig(p));
  return p;
}

Result<JobDefaults> ParseJobDefaults(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("defaultJobOptions must be an object {attempts, backoff} or null");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"attempts", "backoff"}, "defaultJobOptions"));
  JobDefaults d;
  if (auto a = j.find("attempts"); a != j.end() && !a->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(int64_t n, AsInt(*a, "defaultJobOptions.attempts"));
    if (n < 1 || n > limits::kAttemptsMax)
      return Status::InvalidArgument("defaultJobOptions.attempts must be between 1 and " +
                                     std::to_string(limits::kAttemptsMax));
    d.attempts = static_cast<int>(n);
  }
  if (auto b = j.find("backoff"); b != j.end() && !b->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(Backoff bo, ParseBackoff(*b));
    JobOptions probe;  // the job-level rules for a backoff
    probe.backoff = bo;
    CRONQ_RETURN_IF_ERROR(ValidateNewJob(NewJob{"probe", "null", probe}));
    d.backoff = bo;
  }
  return d;
}

}  // namespace

Result<QueueUpdate> ParseQueueUpdate(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("queue body must be an object");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"paused", "push", "defaultJobOptions"}, "queue"));
  QueueUpdate u;
  if (auto p = j.find("paused"); p != j.end()) {
    if (!p->is_boolean()) return Status::InvalidArgument("paused must be a boolean");
    u.paused = p->get<bool>();
  }
  if (auto p = j.find("push"); p != j.end()) {
    if (p->is_null()) {
      u.push = std::optional<PushConfig>();
    } else {
      CRONQ_ASSIGN_OR_RETURN(PushConfig pc, ParsePush(*p));
      u.push = std::optional<PushConfig>(std::move(pc));
    }
  }
  if (auto d = j.find("defaultJobOptions"); d != j.end()) {
    if (d->is_null()) {
      u.defaults = JobDefaults{};
    } else {
      CRONQ_ASSIGN_OR_RETURN(u.defaults, ParseJobDefaults(*d));
    }
  }
  return u;
}

Result<NewJob> ParseNewJob(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a job must be an object {name, data, opts}");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"name", "data", "opts"}, "job"));
  NewJob job;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return Status::InvalidArgument("job name is required and must be a string");
  job.name = name->get<std::string>();
  auto data = j.find("data");
  job.data = data == j.end() ? "null" : data->dump();
  job.attempts_set = job.backoff_set = false;
  if (auto o = j.find("opts"); o != j.end()) {
    CRONQ_ASSIGN_OR_RETURN(job.opts, ParseOptions(*o));
    if (o->is_object()) {
      auto a = o->find("attempts"), b = o->find("backoff");
      job.attempts_set = a != o->end() && !a->is_null();
      job.backoff_set = b != o->end() && !b->is_null();
    }
  }
  CRONQ_RETURN_IF_ERROR(ValidateNewJob(job));
  return job;
}

Result<FetchBody> ParseFetch(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("fetch body must be an object");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"max", "waitMs", "lockMs", "worker"}, "fetch"));
  FetchBody f;
  int64_t max = f.max;
  CRONQ_RETURN_IF_ERROR(GetInt(j, "max", max));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "waitMs", f.wait_ms));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "lockMs", f.lock_ms));
  CRONQ_RETURN_IF_ERROR(GetString(j, "worker", f.worker, 256));
  if (max < 1 || max > limits::kFetchMax)
    return Status::InvalidArgument("max must be between 1 and " + std::to_string(limits::kFetchMax));
  if (f.wait_ms < 0 || f.wait_ms > limits::kFetchWaitMax)
    return Status::InvalidArgument("waitMs must be between 0 and " + std::to_string(limits::kFetchWaitMax));
  CRONQ_RETURN_IF_ERROR(ValidateLockMs(f.lock_ms));
  f.max = static_cast<int>(max);
  return f;
}

namespace {
Status RequireToken(const json& j, std::string& token) {
  if (!j.is_object()) return Status::InvalidArgument("body must be an object");
  auto t = j.find("token");
  if (t == j.end() || !t->is_string() || t->get<std::string>().empty())
    return Status::InvalidArgument("token is required: the lease token from fetch");
  token = t->get<std::string>();
  return Status::Ok();
}

Result<std::string> JsonText(const json& j, const char* key, size_t max) {
  auto it = j.find(key);
  if (it == j.end()) return std::string();
  std::string text = it->dump();
  if (text.size() > max) return Status::TooLarge(std::string(key) + " is larger than " + std::to_string(max) + " bytes");
  return text;
}
}  // namespace

Result<CompleteSpec> ParseComplete(const json& j, std::string queue, std::string id) {
  CompleteSpec s{std::move(queue), std::move(id), {}, {}};
  CRONQ_RETURN_IF_ERROR(RequireToken(j, s.token));
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"token", "result", "id"}, "complete"));  // id: in batch acks
  CRONQ_ASSIGN_OR_RETURN(s.result, JsonText(j, "result", limits::kResult));
  return s;
}

Result<FailSpec> ParseFail(const json& j, std::string queue, std::string id) {
  FailSpec s;
  s.queue = std::move(queue);
  s.id = std::move(id);
  CRONQ_RETURN_IF_ERROR(RequireToken(j, s.token));
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"token", "error", "unrecoverable", "id"}, "fail"));
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    if (e->is_string()) {
      s.message = e->get<std::string>();
    } else if (e->is_object()) {
      CRONQ_RETURN_IF_ERROR(GetString(*e, "message", s.message, limits::kErrorMessage, "error."));
      CRONQ_RETURN_IF_ERROR(GetString(*e, "stack", s.stack, limits::kErrorStack, "error."));
    } else {
      return Status::InvalidArgument("error must be a string or {message, stack}");
    }
  }
  if (s.message.size() > limits::kErrorMessage) s.message.resize(limits::kErrorMessage);
  if (s.message.empty()) s.message = "failed without a message";
  if (auto u = j.find("unrecoverable"); u != j.end() && !u->is_null()) {
    if (!u->is_boolean()) return Status::InvalidArgument("unrecoverable must be a boolean");
    s.unrecoverable = u->get<bool>();
  }
  return s;
}

Result<ExtendSpec> ParseExtend(const json& j, std::string queue, std::string id) {
  ExtendSpec s;
  s.queue = std::move(queue);
  s.id = std::move(id);
  CRONQ_RETURN_IF_ERROR(RequireToken(j, s.token));
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"token", "lockMs", "progress", "logs"}, "extend"));
  CRONQ_RETURN_IF_ERROR(GetInt(j, "lockMs", s.lock_ms));
  CRONQ_RETURN_IF_ERROR(ValidateLockMs(s.lock_ms));
  if (j.contains("progress")) {
    CRONQ_ASSIGN_OR_RETURN(std::string p, JsonText(j, "progress", limits::kResult));
    s.progress = std::move(p);
  }
  if (auto l = j.find("logs"); l != j.end() && !l->is_null()) {
    if (!l->is_array()) return Status::InvalidArgument("logs must be an array of strings");
    if (l->size() > 100) return Status::TooLarge("at most 100 log lines per heartbeat");
    for (const json& line : *l) {
      if (!line.is_string()) return Status::InvalidArgument("logs must be an array of strings");
      std::string text = line.get<std::string>();
      if (text.size() > limits::kLogLine) text.resize(limits::kLogLine);
      s.logs.push_back(std::move(text));
    }
  }
  return s;
}

// ---- output -----------------------------------------------------------------

namespace {
json BackoffJson(const Backoff& b) {
  json j = {{"type", b.type == Backoff::Type::kFixed ? "fixed" : "exponential"}, {"delay", b.delay},
            {"jitter", b.jitter}};
  if (b.max_delay > 0) j["maxDelay"] = b.max_delay;
  return j;
}

json RetentionJson(const Retention& r) {
  if (r.remove_now) return true;
  if (r.keep_all()) return false;
  json o = json::object();
  if (r.count >= 0) o["count"] = r.count;
  if (r.age >= 0) o["age"] = r.age / 1000;
  return o;
}

json RawOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}
}  // namespace

json OptionsJson(const JobOptions& o) {
  json j = {{"attempts", o.attempts}, {"delay", o.delay}, {"priority", o.priority}, {"maxStalls", o.max_stalls}};
  if (!o.job_id.empty()) j["jobId"] = o.job_id;
  if (o.timeout > 0) j["timeout"] = o.timeout;
  if (o.backoff.type != Backoff::Type::kNone) j["backoff"] = BackoffJson(o.backoff);
  j["removeOnComplete"] = RetentionJson(o.remove_on_complete);
  j["removeOnFail"] = RetentionJson(o.remove_on_fail);
  return j;
}

json JobJson(const Job& job, bool detail) {
  json j = {{"id", job.id},
            {"queue", job.queue},
            {"name", job.name},
            {"data", RawOrNull(job.data)},
            {"opts", OptionsJson(job.opts)},
            {"state", StateName(job.state)},
            {"priority", job.opts.priority},
            {"attemptsMade", job.attempts_made},
            {"stalls", job.stalls},
            {"timestamp", job.created_at},
            {"delayUntil", job.state == JobState::kDelayed ? json(job.run_at) : json(nullptr)},
            {"processedOn", job.started_at ? json(job.started_at) : json(nullptr)},
            {"finishedOn", job.finished_at ? json(job.finished_at) : json(nullptr)},
            {"lockUntil", job.state == JobState::kActive ? json(job.lease_expires) : json(nullptr)},
            {"progress", RawOrNull(job.progress)},
            {"returnvalue", RawOrNull(job.result)},
            {"failedReason", job.failed_reason.empty() ? json(nullptr) : json(job.failed_reason)},
            {"fireId", job.fire_id.empty() ? json(nullptr) : json(job.fire_id)}};
  if (!detail) return j;
  j["stacktrace"] = job.stacktrace.empty() ? json(nullptr) : json(job.stacktrace);
  j["worker"] = job.worker.empty() ? json(nullptr) : json(job.worker);
  json attempts = json::array();
  for (const Attempt& a : job.attempts) {
    json aj = {{"attempt", a.n},
               {"startedAt", a.started_at},
               {"endedAt", a.ended_at ? json(a.ended_at) : json(nullptr)},
               {"outcome", OutcomeName(a.outcome)},
               {"worker", a.worker.empty() ? json(nullptr) : json(a.worker)}};
    if (!a.error_message.empty() || !a.error_stack.empty()) {
      aj["error"] = {{"message", a.error_message}};
      if (!a.error_stack.empty()) aj["error"]["stack"] = a.error_stack;
    }
    attempts.push_back(std::move(aj));
  }
  j["attempts"] = std::move(attempts);
  json logs = json::array();
  for (const LogLine& l : job.logs) logs.push_back({{"at", l.at}, {"line", l.line}});
  j["logs"] = std::move(logs);
  return j;
}

namespace {
json PushJson(const PushConfig& p) {
  json headers = json::object();
  for (const auto& [k, v] : p.headers) headers[k] = v;
  json out = {{"url", p.url},
              {"secrets", json::array()},
              {"timeoutMs", p.timeout},
              {"concurrency", p.concurrency},
              {"rateLimit", p.rate.max > 0 ? json{{"max", p.rate.max}, {"perMs", p.rate.per}} : json(nullptr)},
              {"headers", std::move(headers)}};
  for (size_t i = 0; i < p.secrets.size(); ++i) out["secrets"].push_back("***");
  MaskSecrets(out);
  return out;
}
}  // namespace

json QueueJson(const QueueInfo& q, TimeMs now) {
  json counts = json::object();
  for (int i = 0; i < kJobStateCount; ++i) counts[std::string(StateName(static_cast<JobState>(i)))] = q.counts[i];
  json defaults = nullptr;
  if (!q.config.defaults.empty()) {
    defaults = json::object();
    if (q.config.defaults.attempts) defaults["attempts"] = *q.config.defaults.attempts;
    if (q.config.defaults.backoff) defaults["backoff"] = BackoffJson(*q.config.defaults.backoff);
  }
  return {{"name", q.name},
          {"paused", q.paused},
          {"counts", std::move(counts)},
          {"oldestWaitingAgeMs", q.oldest_waiting ? json(now - q.oldest_waiting) : json(nullptr)},
          {"push", q.config.push ? PushJson(*q.config.push) : json(nullptr)},
          {"defaultJobOptions", std::move(defaults)}};
}

std::string LeasesJson(const std::vector<Lease>& leases) {
  std::string out = "{\"jobs\":[";
  out.reserve(64 + leases.size() * 192);
  for (size_t i = 0; i < leases.size(); ++i) {
    const Lease& l = leases[i];
    if (i) out += ',';
    out += "{\"id\":";
    out += json(l.id).dump();
    out += ",\"queue\":";
    out += json(l.queue).dump();
    out += ",\"name\":";
    out += json(l.name).dump();
    out += ",\"data\":";
    out += l.data.empty() ? "null" : l.data;
    out += ",\"attempt\":" + std::to_string(l.attempt);
    out += ",\"attempts\":" + std::to_string(l.max_attempts);
    out += ",\"token\":\"" + l.token + "\"";
    out += ",\"lockUntil\":" + std::to_string(l.lease_expires);
    out += ",\"timestamp\":" + std::to_string(l.created_at);
    if (l.timeout > 0) out += ",\"timeout\":" + std::to_string(l.timeout);
    if (!l.fire_id.empty()) out += ",\"fireId\":" + json(l.fire_id).dump();
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace cronq::api
