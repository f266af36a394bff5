#include "api/schedule_json.h"

#include <nlohmann/json.hpp>

#include "api/json_codec.h"
#include "core/cron/cron_schedule.h"
#include "core/cron/iso8601.h"
#include "core/validate.h"

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

Status Keys(const json& j, std::initializer_list<std::string_view> allowed, const char* what) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || it.key() == a;
    if (!ok) return Status::InvalidArgument(std::string("unknown field '") + it.key() + "' in " + what);
  }
  return Status::Ok();
}

Result<int64_t> Int(const json& j, const char* key, int64_t def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_number_integer()) return Status::InvalidArgument(std::string(key) + " must be an integer");
  return it->get<int64_t>();
}

}  // namespace

Result<ScheduleDef> ParseSchedule(const json& j, const std::string& name) {
  if (!j.is_object()) return Status::InvalidArgument("a schedule must be an object {cron, tz, target, ...}");
  CRONQ_RETURN_IF_ERROR(Keys(j, {"cron", "tz", "target", "missed", "missedMax", "missedWithinMs", "overlap", "graceMs",
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
    return Status::InvalidArgument("target is required: {queue, name, data, opts}");
  CRONQ_RETURN_IF_ERROR(Keys(*target, {"queue", "name", "data", "opts"}, "target"));
  auto queue = target->find("queue");
  if (queue == target->end() || !queue->is_string()) return Status::InvalidArgument("target.queue is required");
  d.queue = queue->get<std::string>();
  CRONQ_RETURN_IF_ERROR(ValidateQueueName(d.queue));
  json job = {{"name", target->value("name", name)}};
  if (target->contains("data")) job["data"] = (*target)["data"];
  if (target->contains("opts")) job["opts"] = (*target)["opts"];
  Result<NewJob> nj = ParseNewJob(job);
  if (!nj.ok()) return Status::InvalidArgument("target: " + nj.status().message());
  if (!nj->opts.job_id.empty()) return Status::InvalidArgument("target.opts.jobId is not allowed: each fire has its own fire id");
  d.job = std::move(nj).value();

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
  if (auto pa = j.find("paused"); pa != j.end() && !pa->is_null()) {
    if (!pa->is_boolean()) return Status::InvalidArgument("paused must be a boolean");
    d.paused = pa->get<bool>();
  }
  return d;
}

json ScheduleJson(const ScheduleState& st, int next_runs) {
  const ScheduleDef& d = st.def;
  json target = {{"queue", d.queue}, {"name", d.job.name}, {"opts", OptionsJson(d.job.opts)}};
  target["data"] = json::parse(d.job.data, nullptr, false);
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
            {"nextDue", st.next_due && !d.paused ? Instant(*st.next_due) : json(nullptr)},
            {"createdAt", st.created_at},
            {"updatedAt", st.updated_at},
            {"lastJob", st.last_id.empty() ? json(nullptr) : json{{"queue", st.last_queue}, {"id", st.last_id}}}};
  json runs = json::array();
  if (st.next_due && !d.paused && next_runs > 0) {
    Result<CronSchedule> cron = CronSchedule::Create(d.expr, d.tz);
    std::optional<TimeMs> t = st.next_due;
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
          {"latenessMs", r.handled_at - r.due_at},
          {"status", SlotStatusName(r.status)},
          {"job", r.job_id.empty() ? json(nullptr) : json{{"queue", r.job_queue}, {"id", r.job_id}}},
          {"note", r.note.empty() ? json(nullptr) : json(r.note)}};
}

}  // namespace cronq::api
