#include "api/schedule_json.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/json_codec.h"
#include "core/cron/cron_schedule.h"
#include "core/cron/iso8601.h"
#include "core/validate.h"
#include "push/http_caller.h"

namespace cronq::api {
namespace {

using nlohmann::json;

// An instant given as ISO-8601 text or as epoch milliseconds.
Result<TimeMs> ParseInstant(const json& v, const char* field) {
  if (v.is_string()) {
    Result<TimeMs> t = ParseIso8601(v.get<std::string>());
    if (!t.ok()) return Status::InvalidArgument(std::string(field) + ": " + t.status().message());
    return t;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return v.get<int64_t>();
  return Status::InvalidArgument(std::string(field) + " must be an ISO-8601 time or epoch milliseconds");
}

json Instant(TimeMs t) { return t ? json(FormatIso8601(t)) : json(nullptr); }

Result<int64_t> Int(const json& j, const char* key, int64_t def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_number_integer()) return Status::InvalidArgument(std::string(key) + " must be an integer");
  return it->get<int64_t>();
}

}  // namespace

namespace {

// {url, method, headers, bearer, timeoutMs, opts}: each slot enqueues an HTTP call
// into the internal queue that push::HttpCaller serves (retried like any job).
Status ParseUrlTarget(const json& t, ScheduleDef& d) {
  CRONQ_RETURN_IF_ERROR(CheckKeys(t, {"url", "method", "headers", "bearer", "timeoutMs", "body", "opts"}, "target"));
  push::HttpCall call;
  if (!t["url"].is_string()) return Status::InvalidArgument("target.url must be a string");
  call.url = t["url"].get<std::string>();
  if (t.contains("method")) {
    if (!t["method"].is_string()) return Status::InvalidArgument("target.method must be a string");
    call.method = t["method"].get<std::string>();
  }
  if (t.contains("headers")) {
    if (!t["headers"].is_object()) return Status::InvalidArgument("target.headers must be an object of strings");
    for (auto& [k, v] : t["headers"].items()) {
      if (!v.is_string()) return Status::InvalidArgument("target.headers must map header names to strings");
      call.headers.emplace_back(k, v.get<std::string>());
    }
  }
  if (t.contains("bearer")) {
    if (!t["bearer"].is_string() || !push::IsHeaderValue(t["bearer"].get<std::string>()))
      return Status::InvalidArgument("target.bearer must be a one-line string");
    call.headers.emplace_back("Authorization", "Bearer " + t["bearer"].get<std::string>());
  }
  if (t.contains("body")) {
    if (!t["body"].is_string()) return Status::InvalidArgument("target.body must be a string");
    call.body = t["body"].get<std::string>();
  }
  if (t.contains("timeoutMs")) {
    if (!t["timeoutMs"].is_number_integer()) return Status::InvalidArgument("target.timeoutMs must be an integer");
    call.timeout = t["timeoutMs"].get<int64_t>();
  }
  CRONQ_RETURN_IF_ERROR(push::ValidateHttpCall(call));
  NewJob job{"http", push::EncodeHttpCall(call), push::DefaultHttpCallOptions()};
  if (t.contains("opts")) {
    const json& opts = t["opts"];
    if (opts.is_object() && (opts.contains("jobId") || opts.contains("timeout")))
      return Status::InvalidArgument("target.opts of a URL target take no jobId (each fire has its fire id) and no "
                                     "timeout (use target.timeoutMs)");
    Result<JobOptions> o = ParseOptions(opts);
    if (!o.ok()) return Status::InvalidArgument("target: " + o.status().message());
    job.opts = *o;
  }
  if (Status st = ValidateNewJob(job); !st.ok()) return Status::InvalidArgument("target: " + st.message());
  d.queue = std::string(push::kHttpQueue);
  d.job = std::move(job);
  return Status::Ok();
}

Status ParseQueueTarget(const json& t, const std::string& name, ScheduleDef& d) {
  const json* target = &t;  // {queue, name, data, opts}
  CRONQ_RETURN_IF_ERROR(CheckKeys(*target, {"queue", "name", "data", "opts"}, "target"));
  auto queue = target->find("queue");
  if (queue == target->end() || !queue->is_string()) return Status::InvalidArgument("target.queue is required");
  d.queue = queue->get<std::string>();
  CRONQ_RETURN_IF_ERROR(ValidateQueueName(d.queue));
  if (target->contains("name") && !(*target)["name"].is_string())
    return Status::InvalidArgument("target.name must be a string");
  json job = {{"name", target->value("name", name)}};
  if (target->contains("data")) job["data"] = (*target)["data"];
  if (target->contains("opts")) job["opts"] = (*target)["opts"];
  Result<NewJob> nj = ParseNewJob(job);
  if (!nj.ok()) {
    return nj.status().code() == Code::kTooLarge ? Status::TooLarge("target: " + nj.status().message())
                                                 : Status::InvalidArgument("target: " + nj.status().message());
  }
  if (!nj->opts.job_id.empty()) return Status::InvalidArgument("target.opts.jobId is not allowed: each fire has its own fire id");
  if (d.queue == push::kHttpQueue) return Status::InvalidArgument("target.queue cronq:http is internal: give target.url");
  d.job = std::move(nj).value();
  return Status::Ok();
}

Result<ScheduleDef> ParsePolicy(const json& j, ScheduleDef d) {
  SchedulePolicy& p = d.policy;
  if (auto m = j.find("missed"); m != j.end() && !m->is_null()) {
    std::optional<MissedPolicy> mp = m->is_string() ? ParseMissedPolicy(m->get<std::string>()) : std::nullopt;
    if (!mp) return Status::InvalidArgument("missed must be skip, once, all or within");
    p.missed = *mp;
  }
  if (auto o = j.find("overlap"); o != j.end() && !o->is_null()) {
    std::optional<OverlapPolicy> op = o->is_string() ? ParseOverlapPolicy(o->get<std::string>()) : std::nullopt;
    if (!op) return Status::InvalidArgument("overlap must be allow, forbid or replace");
    p.overlap = *op;
  }
  CRONQ_ASSIGN_OR_RETURN(int64_t max_runs, Int(j, "missedMax", p.max_runs));
  CRONQ_ASSIGN_OR_RETURN(p.within, Int(j, "missedWithinMs", p.within));
  CRONQ_ASSIGN_OR_RETURN(p.grace, Int(j, "graceMs", p.grace));
  if (max_runs < 1 || max_runs > 1000) return Status::InvalidArgument("missedMax must be between 1 and 1000");
  p.max_runs = static_cast<int>(max_runs);
  if (auto s = j.find("startAt"); s != j.end() && !s->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(p.start_at, ParseInstant(*s, "startAt"));
  }
  if (auto e = j.find("endAt"); e != j.end() && !e->is_null()) {
    CRONQ_ASSIGN_OR_RETURN(p.end_at, ParseInstant(*e, "endAt"));
  }
  CRONQ_RETURN_IF_ERROR(ValidatePolicy(p));
  d.paused_given = false;
  if (auto pa = j.find("paused"); pa != j.end() && !pa->is_null()) {
    if (!pa->is_boolean()) return Status::InvalidArgument("paused must be a boolean");
    d.paused = pa->get<bool>();
    d.paused_given = true;
  }
  return d;
}

}  // namespace

void MaskSecrets(json& request) {
  if (!request.is_object() || !request.contains("headers") || !request["headers"].is_object()) return;
  for (auto& [k, v] : request["headers"].items()) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("authorization") != std::string::npos || lower == "cookie" ||
        lower.find("secret") != std::string::npos || lower.find("token") != std::string::npos ||
        lower.find("key") != std::string::npos || lower.find("password") != std::string::npos)
      v = "***";
  }
}

Result<ScheduleDef> ParseSchedule(const json& j, const std::string& name) {
  if (!j.is_object()) return Status::InvalidArgument("a schedule must be an object {cron, tz, target, ...}");
  CRONQ_RETURN_IF_ERROR(CheckKeys(j, {"cron", "tz", "target", "missed", "missedMax", "missedWithinMs", "overlap", "graceMs",
                                 "startAt", "endAt", "paused"},
                             "schedule"));
  ScheduleDef d;
  d.name = name;
  auto cron = j.find("cron");
  if (cron == j.end() || !cron->is_string()) return Status::InvalidArgument("cron is required: a cron expression");
  d.expr = cron->get<std::string>();
  if (d.expr.size() > 256) return Status::InvalidArgument("cron is longer than 256 characters");
  if (auto tz = j.find("tz"); tz != j.end() && !tz->is_null()) {
    if (!tz->is_string()) return Status::InvalidArgument("tz must be an IANA zone name such as Europe/London");
    d.tz = tz->get<std::string>();
  }
  Result<CronSchedule> parsed = CronSchedule::Create(d.expr, d.tz);
  if (!parsed.ok()) return parsed.status();

  auto target = j.find("target");
  if (target == j.end() || !target->is_object())
    return Status::InvalidArgument("target is required: {queue, name, data, opts} or {url, method, headers, bearer}");
  if (target->contains("url")) {
    CRONQ_RETURN_IF_ERROR(ParseUrlTarget(*target, d));
  } else {
    CRONQ_RETURN_IF_ERROR(ParseQueueTarget(*target, name, d));
  }
  return ParsePolicy(j, std::move(d));
}

json ScheduleJson(const ScheduleState& st, int next_runs, TimeMs now) {
  const ScheduleDef& d = st.def;
  json target;
  if (d.queue == push::kHttpQueue) {  // a URL target: show the request, never its secret
    target = json::parse(d.job.data, nullptr, false);
    MaskSecrets(target);
    target["opts"] = OptionsJson(d.job.opts);
  } else {
    target = {{"queue", d.queue}, {"name", d.job.name}, {"opts", OptionsJson(d.job.opts)}};
    target["data"] = json::parse(d.job.data, nullptr, false);
  }
  json j = {{"name", d.name},
            {"cron", d.expr},
            {"tz", d.tz},
            {"target", std::move(target)},
            {"missed", MissedPolicyName(d.policy.missed)},
            {"missedMax", d.policy.max_runs},
            {"missedWithinMs", d.policy.within},
            {"overlap", OverlapPolicyName(d.policy.overlap)},
            {"graceMs", d.policy.grace},
            {"startAt", Instant(d.policy.start_at)},
            {"endAt", Instant(d.policy.end_at)},
            {"paused", d.paused},
            {"nextDue", nullptr},
            {"createdAt", st.created_at},
            {"updatedAt", st.updated_at},
            {"lastJob", st.last_id.empty() ? json(nullptr) : json{{"queue", st.last_queue}, {"id", st.last_id}}}};
  json runs = json::array();
  Result<CronSchedule> cron = CronSchedule::Create(d.expr, d.tz);
  std::optional<TimeMs> next = st.next_due;
  if (cron.ok() && !d.paused) {  // a slot after now that comes before next_due was claimed ahead
    std::optional<TimeMs> upcoming = FirstDue([&](TimeMs t) { return cron->NextAfter(t); }, now, d.policy);
    if (upcoming && (!next || *upcoming < *next)) next = upcoming;
  }
  if (next && !d.paused) j["nextDue"] = Instant(*next);
  if (next && !d.paused && next_runs > 0) {
    std::optional<TimeMs> t = next;
    while (cron.ok() && t && static_cast<int>(runs.size()) < next_runs && (!d.policy.end_at || *t <= d.policy.end_at)) {
      runs.push_back(FormatIso8601(*t));
      t = cron->NextAfter(*t);
    }
  }
  j["nextRuns"] = std::move(runs);
  return j;
}

json SlotJson(const SlotRecord& r) {
  return {{"fireId", FireId(r.schedule, r.due_at)},
          {"due", FormatIso8601(r.due_at)},
          {"handledAt", r.handled_at},
          {"claimedAt", r.claimed_at},
          {"latenessMs", r.handled_at - r.due_at},
          {"status", SlotStatusName(r.status)},
          {"job", r.job_id.empty() ? json(nullptr) : json{{"queue", r.job_queue}, {"id", r.job_id}}},
          {"note", r.note.empty() ? json(nullptr) : json(r.note)}};
}

}  // namespace cronq::api
