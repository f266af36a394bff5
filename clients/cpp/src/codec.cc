#include "codec.h"

namespace cronq::client::codec {
namespace {

using nlohmann::json;

Status Bad(const std::string& where, const std::string& what) { return Status::InvalidArgument(where + what); }

Result<json> EncodeRetention(const std::string& where, const char* field, const Retention& r) {
  if (r.remove_at_once) return json(true);
  if (r.count && *r.count < 0) return Bad(where, std::string(field) + ".count must be >= 0");
  if (r.age && r.age->count() < 0) return Bad(where, std::string(field) + ".age must be >= 0");
  if (r.age) {
    json o = {{"age", r.age->count()}};
    if (r.count) o["count"] = *r.count;
    return o;
  }
  if (r.count) return json(*r.count);
  return json();  // null: keep (the field is left out)
}

Result<json> EncodeOptions(const std::string& where, const JobOptions& o) {
  json opts = json::object();
  if (o.attempts) {
    if (*o.attempts < 1) return Bad(where, "attempts must be at least 1");
    opts["attempts"] = *o.attempts;
  }
  if (o.backoff) {
    const Backoff& b = *o.backoff;
    if (b.delay.count() < 0) return Bad(where, "backoff.delay must be >= 0");
    if (b.max_delay.count() < 0) return Bad(where, "backoff.max_delay must be >= 0");
    if (!(b.jitter >= 0 && b.jitter <= 1)) return Bad(where, "backoff.jitter must be between 0 and 1");
    json bj = {{"type", b.type == Backoff::Type::kExponential ? "exponential" : "fixed"}, {"delay", b.delay.count()}};
    if (b.jitter > 0) bj["jitter"] = b.jitter;
    if (b.max_delay.count() > 0) bj["maxDelay"] = b.max_delay.count();
    opts["backoff"] = std::move(bj);
  }
  if (o.delay.count() < 0) return Bad(where, "delay must be >= 0");
  if (o.delay.count() > 0) opts["delay"] = o.delay.count();
  if (o.priority) {
    if (*o.priority < 0) return Bad(where, "priority must be >= 0 (0 is the highest)");
    opts["priority"] = *o.priority;
  }
  if (!o.job_id.empty()) opts["jobId"] = o.job_id;
  if (o.timeout.count() < 0) return Bad(where, "timeout must be >= 0");
  if (o.timeout.count() > 0) opts["timeout"] = o.timeout.count();
  CRONQ_ASSIGN_OR_RETURN(json rc, EncodeRetention(where, "removeOnComplete", o.remove_on_complete));
  if (!rc.is_null()) opts["removeOnComplete"] = std::move(rc);
  CRONQ_ASSIGN_OR_RETURN(json rf, EncodeRetention(where, "removeOnFail", o.remove_on_fail));
  if (!rf.is_null()) opts["removeOnFail"] = std::move(rf);
  if (o.max_stalls) {
    if (*o.max_stalls < 0) return Bad(where, "max_stalls must be >= 0");
    opts["maxStalls"] = *o.max_stalls;
  }
  return opts;
}

}  // namespace

Result<json> EncodeJob(const std::string& where, const std::string& name, const json& data,
                       const JobOptions& options) {
  if (name.empty()) return Bad(where, "a job needs a name");
  CRONQ_ASSIGN_OR_RETURN(json opts, EncodeOptions(where, options));
  json job = {{"name", name}, {"data", data}};
  if (!opts.empty()) job["opts"] = std::move(opts);
  return job;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

JobInfo DecodeJobInfo(const json& j) {
  JobInfo info;
  info.id = Str(j, "id");
  info.queue = Str(j, "queue");
  info.name = Str(j, "name");
  info.state = Str(j, "state");
  info.data = j.value("data", json());
  info.progress = j.value("progress", json());
  info.returnvalue = j.value("returnvalue", json());
  info.attempts_made = static_cast<int>(Int(j, "attemptsMade"));
  info.stalls = static_cast<int>(Int(j, "stalls"));
  info.failed_reason = Str(j, "failedReason");
  if (auto it = j.find("logs"); it != j.end() && it->is_array()) {
    for (const json& l : *it) info.logs.push_back(Str(l, "line"));
  }
  info.raw = j;
  return info;
}

JobCounts DecodeCounts(const json& queue) {
  JobCounts c;
  const json counts = queue.value("counts", json::object());
  c.waiting = Int(counts, "waiting");
  c.delayed = Int(counts, "delayed");
  c.active = Int(counts, "active");
  c.completed = Int(counts, "completed");
  c.failed = Int(counts, "failed");
  c.paused = queue.value("paused", false);
  return c;
}

}  // namespace cronq::client::codec
