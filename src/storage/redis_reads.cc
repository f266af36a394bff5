// Redis backend: the due pass (safe on every replica at once), deadlines, reads
// and schedule reads. Reads that need many keys pipeline their commands.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "core/backoff.h"
#include "core/lifecycle.h"
#include "storage/encoding.h"
#include "storage/queue_config_codec.h"
#include "storage/redis_store_impl.h"

namespace cronq::redis {
namespace {

constexpr int kDueLimit = 5000;  // jobs per kind per pass; the engine loops while work is due
constexpr int kPromoteLimit = 1000;  // delayed jobs promoted per pass, as in the SQLite backend

// The ZREVRANGEBYSCORE bound of a page that continues after `cursor` (a seq):
// everything newest first when there is no cursor.
Result<std::string> ScoreBefore(std::string_view cursor) {
  if (cursor.empty()) return std::string("+inf");
  std::optional<int64_t> c = sqlite::NumericId(cursor);
  if (!c) return Status::InvalidArgument("bad cursor");
  return "(" + std::to_string(*c);
}

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t Get(const Fields& f, const char* k, int64_t dflt = 0) {
  auto it = f.find(k);
  return it == f.end() ? dflt : ToInt(it->second);
}

std::string GetS(const Fields& f, const char* k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : it->second;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

}  // namespace

std::vector<std::string> DecodeFields(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) break;
    size_t len = 0;
    std::from_chars(s.data(), s.data() + colon, len);
    if (colon + 1 + len > s.size()) break;
    out.emplace_back(s.substr(colon + 1, len));
    s.remove_prefix(colon + 1 + len);
  }
  return out;
}

Fields ToFields(const redisReply* a) {
  Fields f;
  if (!a || a->type != REDIS_REPLY_ARRAY) return f;
  for (size_t i = 0; i + 1 < a->elements; i += 2) f.emplace(Str(a->element[i]), Str(a->element[i + 1]));
  return f;
}

Job DecodeJob(const std::string& seq, const Fields& f) {
  Job j;
  j.queue = GetS(f, "q");
  std::string cid = GetS(f, "cid");
  j.id = cid.empty() ? seq : cid;
  j.opts.job_id = cid;
  j.name = GetS(f, "n");
  j.data = GetS(f, "d");
  j.state = static_cast<JobState>(Get(f, "s"));
  j.opts.priority = static_cast<int>(Get(f, "p"));
  j.created_at = Get(f, "c");
  j.run_at = Get(f, "r");
  j.opts.attempts = static_cast<int>(Get(f, "am", 1));
  j.attempts_made = static_cast<int>(Get(f, "a"));
  j.stalls = static_cast<int>(Get(f, "st"));
  j.opts.max_stalls = static_cast<int>(Get(f, "ms", 1));
  j.opts.backoff = sqlite::DecodeBackoff(GetS(f, "b"));
  j.opts.timeout = Get(f, "t");
  j.opts.remove_on_complete = sqlite::DecodeRetention(GetS(f, "kc"));
  j.opts.remove_on_fail = sqlite::DecodeRetention(GetS(f, "kf"));
  j.lease_expires = Get(f, "le");
  j.started_at = Get(f, "sa");
  j.finished_at = Get(f, "fa");
  j.worker = GetS(f, "w");
  j.progress = GetS(f, "pg");
  j.result = GetS(f, "res");
  j.failed_reason = GetS(f, "fr");
  j.stacktrace = GetS(f, "stk");
  j.opts.delay = Get(f, "dl");
  std::string sc = GetS(f, "sc");
  if (!sc.empty()) j.fire_id = FireId(sc, Get(f, "sd"));
  return j;
}

ScheduleState DecodeSchedule(const Fields& f) {
  ScheduleState st;
  ScheduleDef& d = st.def;
  d.name = GetS(f, "name");
  d.expr = GetS(f, "ex");
  d.tz = GetS(f, "tz");
  d.queue = GetS(f, "q");
  d.job.name = GetS(f, "jn");
  d.job.data = GetS(f, "jd");
  sqlite::DecodeJobOptions(GetS(f, "jo"), d.job);
  d.policy.missed = static_cast<MissedPolicy>(Get(f, "mi"));
  d.policy.max_runs = static_cast<int>(Get(f, "mr"));
  d.policy.within = Get(f, "wi");
  d.policy.overlap = static_cast<OverlapPolicy>(Get(f, "ov"));
  d.policy.grace = Get(f, "gr");
  d.policy.start_at = Get(f, "st");
  d.policy.end_at = Get(f, "en");
  d.paused = GetS(f, "paused") == "1";
  if (f.count("nd")) st.next_due = Get(f, "nd");
  st.last_queue = GetS(f, "lq");
  st.last_id = GetS(f, "li");
  st.created_at = Get(f, "cr");
  st.updated_at = Get(f, "u");
  return st;
}

// ---- the due pass -----------------------------------------------------------
//
// Every replica runs it. Promotion and retention are single scripts. Expired
// leases are read, decided here with core/ rules, and ended by the finish script,
// which re-checks that the lease is the one read and still expired: when two
// replicas race, one ends the attempt and the other's call is refused.

Result<DueWork> RedisStore::RunDue(TimeMs now, double unit) {
  DueWork out;
  std::set<std::string> woken;
  {
    CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kPromoteDue, {std::to_string(now), std::to_string(kPromoteLimit)}));
    if (r.Size() == 0) return Poison(Status::Internal("redis: bad promote reply"));
    out.promoted = static_cast<int>(Int(r.At(0)));
    for (size_t i = 1; i < r.Size(); ++i) woken.insert(Str(r.At(i)));
  }
  {
    CRONQ_ASSIGN_OR_RETURN(Reply ex, conn_.Run({"ZRANGEBYSCORE", Key("active"), "-inf", std::to_string(now), "LIMIT",
                                                "0", std::to_string(kDueLimit)}));
    if (ex.IsError()) return CheckReply(ex);
    std::vector<Args> reads;
    for (size_t i = 0; i < ex.Size(); ++i) {
      reads.push_back({"HMGET", Key("j/" + Str(ex.At(i))), "q", "cid", "s", "tk", "lt", "a", "am", "ms", "st", "t",
                       "b"});
    }
    Result<std::vector<Reply>> rows = conn_.Pipeline(reads);
    if (!rows.ok()) return Poison(rows.status());
    for (size_t i = 0; i < rows->size(); ++i) {
      const Reply& row = (*rows)[i];
      if (row.Size() < 11 || IsNil(row.At(0)) || Int(row.At(2)) != static_cast<int>(JobState::kActive)) continue;
      const std::string queue = Str(row.At(0));
      const std::string seq = Str(ex.At(i));
      const std::string id = IsNil(row.At(1)) ? seq : Str(row.At(1));
      const std::string token = Str(row.At(3));
      const bool by_timeout = Int(row.At(4)) != 0;
      const int made = static_cast<int>(Int(row.At(5)));
      JobOptions opts;
      opts.attempts = static_cast<int>(Int(row.At(6)));
      opts.max_stalls = static_cast<int>(Int(row.At(7)));
      opts.backoff = sqlite::DecodeBackoff(Str(row.At(10)));
      const int stalls = static_cast<int>(Int(row.At(8)));
      Result<AttemptEnd> end = Status::Internal("unset");
      if (by_timeout) {
        FailureDecision d = DecideAfterFailure(opts, made + 1, false, now, unit);
        CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(JobState::kActive, d.event));
        std::string msg = "attempt timed out after " + std::to_string(Int(row.At(9))) + " ms";
        end = Finish(queue, id, token, now, "fail", to, Outcome::kTimeout, d.run_at, msg, {}, {}, true);
      } else {
        CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(JobState::kActive, DecideAfterStall(opts, stalls + 1)));
        std::string msg = to == JobState::kFailed
                              ? "job stalled more than the allowed " + std::to_string(opts.max_stalls) + " times"
                              : "lease expired: worker stopped heartbeating";
        end = Finish(queue, id, token, now, "stall", to, Outcome::kStalled, 0, msg, {}, {}, true);
      }
      if (!end.ok()) {
        if (end.status().IsConflict() || end.status().IsNotFound()) continue;  // another replica was first
        return end.status();
      }
      if (end->state_after == JobState::kWaiting) woken.insert(queue);
      out.ended.push_back(std::move(end).value());
    }
  }
  {
    CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kExpireDue, {std::to_string(now), std::to_string(kDueLimit)}));
    out.removed = static_cast<int>(r.Int());
  }
  out.woken_queues.assign(woken.begin(), woken.end());
  return out;
}

// Deadlines only matter when they are early: a stale deadline that is too early
// makes the engine run a due pass that finds nothing and reads them again, one
// that is too late would leave work undone. So the last read is kept while this
// store's batches cannot have added an earlier one: enqueues of jobs that are not
// delayed, queue settings, the audit log, and leases (whose expiries are folded
// in). Every other write (and a rollback, or any error) drops it. Other replicas
// add deadlines too: the read is at most kDeadlineCache old, and each replica
// runs its own due pass anyway.
Result<Deadlines> RedisStore::NextDeadlines() {
  constexpr auto kDeadlineCache = std::chrono::milliseconds(200);
  const auto at = std::chrono::steady_clock::now();
  if (deadlines_ && at - deadlines_read_ < kDeadlineCache) return *deadlines_;
  deadlines_.reset();
  std::vector<Args> cmds;
  for (const char* k : {"delayed", "active", "expire", "sdue", "sahead"})  // sqlite::kStoreDeadlines' order
    cmds.push_back({"ZRANGE", Key(k), "0", "0", "WITHSCORES"});
  Result<std::vector<Reply>> r = conn_.Pipeline(cmds);
  if (!r.ok()) return Poison(r.status());
  Deadlines d;
  for (size_t i = 0; i < std::size(sqlite::kStoreDeadlines); ++i) {
    const Reply& one = (*r)[i];
    if (one.IsError()) return CheckReply(one);
    if (one.Size() == 2) d.*sqlite::kStoreDeadlines[i] = Int(one.At(1));
  }
  deadlines_ = d;
  deadlines_read_ = at;
  return d;
}

// ---- reads ----------------------------------------------------------------------

Result<Job> RedisStore::GetJob(std::string_view queue, std::string_view id) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kGetJob, {std::string(queue), std::string(id)}));
  if (r.Size() < 4) return Status::NotFound("job " + std::string(id) + " not found in queue " + std::string(queue));
  Job job = DecodeJob(Str(r.At(0)), ToFields(r.At(1)));
  if (job.data.empty() && r.Size() > 4) job.data = Str(r.At(4));  // kept in j/<seq>/d
  const redisReply* att = r.At(2);
  for (size_t i = 0; i < att->elements; ++i) {
    std::vector<std::string> v = DecodeFields(Str(att->element[i]));
    if (v.size() < 7) continue;
    Attempt a;
    a.n = static_cast<int>(ToInt(v[0]));
    a.started_at = ToInt(v[1]);
    a.ended_at = ToInt(v[2]);
    a.outcome = static_cast<Outcome>(ToInt(v[3]));
    a.error_message = v[4];
    a.error_stack = v[5];
    a.worker = v[6];
    job.attempts.push_back(std::move(a));
  }
  if (job.state == JobState::kActive) {  // the attempt under way lives in the job's hash
    Attempt running;
    running.n = job.attempts_made + 1;
    running.started_at = job.started_at;
    running.worker = job.worker;
    job.attempts.push_back(std::move(running));
  }
  const redisReply* logs = r.At(3);
  for (size_t i = 0; i < logs->elements; ++i) {
    std::string s = Str(logs->element[i]);
    size_t sp = s.find(' ');
    if (sp == std::string::npos) continue;
    job.logs.push_back(LogLine{ToInt(s.substr(0, sp)), s.substr(sp + 1)});
  }
  return job;
}

// Newest first by sequence. Completed and failed jobs have their own index; other
// filters walk the queue's index of all jobs in chunks, reading each chunk's
// hashes in one pipeline.
Result<JobPage> RedisStore::ListJobs(std::string_view queue, const JobQuery& q) {
  CRONQ_ASSIGN_OR_RETURN(std::string before, ScoreBefore(q.cursor));
  std::string index = Key("q/" + std::string(queue) + "/all");
  if (q.state == JobState::kCompleted) index = Key("q/" + std::string(queue) + "/done");
  if (q.state == JobState::kFailed) index = Key("q/" + std::string(queue) + "/failed");
  JobPage page;
  constexpr int kChunk = 256;
  std::string last_seq;
  for (;;) {
    CRONQ_ASSIGN_OR_RETURN(Reply ids, conn_.Run({"ZREVRANGEBYSCORE", index, before, "-inf", "LIMIT", "0",
                                                 std::to_string(kChunk)}));
    if (ids.IsError()) return CheckReply(ids);
    if (ids.Size() == 0) return page;
    // Each job's hash, and its data when kept in its own key (j/<seq>/d).
    std::vector<Args> reads;
    for (size_t i = 0; i < ids.Size(); ++i) {
      const std::string jk = Key("j/" + Str(ids.At(i)));
      reads.push_back({"HGETALL", jk});
      reads.push_back({"GET", jk + "/d"});
    }
    Result<std::vector<Reply>> rows = conn_.Pipeline(reads);
    if (!rows.ok()) return Poison(rows.status());
    for (size_t i = 0; i < ids.Size(); ++i) {
      const std::string seq = Str(ids.At(i));
      Fields f = ToFields((*rows)[2 * i].get());
      if (f.empty()) continue;
      if (auto d = f.find("d"); d != f.end() && d->second.empty()) d->second = Str((*rows)[2 * i + 1].get());
      if (q.state && Get(f, "s") != static_cast<int>(*q.state)) continue;
      const TimeMs created = Get(f, "c");
      if (q.from && created < q.from) continue;
      if (q.to && created >= q.to) continue;
      if (!q.text.empty() && !ContainsNoCase(GetS(f, "n"), q.text) && !ContainsNoCase(GetS(f, "cid"), q.text) &&
          !ContainsNoCase(GetS(f, "fr"), q.text) && seq != q.text)
        continue;
      if (static_cast<int>(page.jobs.size()) == q.limit) {
        page.next_cursor = last_seq;
        return page;
      }
      last_seq = seq;
      page.jobs.push_back(DecodeJob(seq, f));
    }
    if (ids.Size() < static_cast<size_t>(kChunk)) return page;
    before = "(" + Str(ids.At(ids.Size() - 1));
  }
}

namespace {
// Fields 7 and 8 of the queue-info reply: the push config and job defaults (JSON).
void ReadConfig(const Reply& r, QueueInfo& qi) {
  if (r.Size() < 9) return;
  if (std::string push = Str(r.At(7)); !push.empty()) qi.config.push = DecodePushConfig(push);
  if (std::string jdef = Str(r.At(8)); !jdef.empty()) qi.config.defaults = DecodeJobDefaults(jdef);
}
}  // namespace

Result<std::vector<PushQueue>> RedisStore::ListPushQueues() {
  CRONQ_ASSIGN_OR_RETURN(Reply names, conn_.Run({"ZRANGE", Key("pushq"), "0", "-1"}));
  if (names.IsError()) return CheckReply(names);
  std::vector<Args> reads;
  for (size_t i = 0; i < names.Size(); ++i) reads.push_back({"HGET", Key("q/" + Str(names.At(i))), "push"});
  Result<std::vector<Reply>> rows = conn_.Pipeline(reads);
  if (!rows.ok()) return Poison(rows.status());
  std::vector<PushQueue> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    std::optional<PushConfig> p = DecodePushConfig(Str((*rows)[i].get()));
    if (p) out.push_back(PushQueue{Str(names.At(i)), std::move(*p)});
  }
  return out;
}

Result<QueueInfo> RedisStore::ReadQueue(std::string_view queue, bool* exists) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kQueueInfo, {std::string(queue)}));
  QueueInfo qi;
  qi.name = std::string(queue);
  *exists = r.Size() >= 7;
  if (!*exists) return qi;
  qi.paused = Str(r.At(0)) == "1";
  for (int s = 0; s < kJobStateCount; ++s) qi.counts[s] = Int(r.At(1 + s));
  qi.oldest_waiting = Int(r.At(6));
  ReadConfig(r, qi);
  return qi;
}

Result<std::vector<QueueInfo>> RedisStore::ListQueues() {
  CRONQ_ASSIGN_OR_RETURN(Reply names, conn_.Run({"ZRANGE", Key("queues"), "0", "-1"}));
  if (names.IsError()) return CheckReply(names);
  std::vector<Args> calls;
  for (size_t i = 0; i < names.Size(); ++i) calls.push_back({Str(names.At(i))});
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> rows, EvalMany(kQueueInfo, calls));
  std::vector<QueueInfo> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Reply& r = rows[i];
    if (r.Size() < 7) continue;
    QueueInfo qi;
    qi.name = calls[i][0];
    qi.paused = Str(r.At(0)) == "1";
    for (int s = 0; s < kJobStateCount; ++s) qi.counts[s] = Int(r.At(1 + s));
    qi.oldest_waiting = Int(r.At(6));
    ReadConfig(r, qi);
    out.push_back(std::move(qi));
  }
  return out;
}

Result<QueueInfo> RedisStore::GetQueue(std::string_view queue) {
  bool exists = false;
  CRONQ_ASSIGN_OR_RETURN(QueueInfo qi, ReadQueue(queue, &exists));
  if (!exists) return Status::NotFound("queue " + std::string(queue) + " does not exist");
  return qi;
}

// ---- schedules --------------------------------------------------------------------

Result<std::vector<ScheduleState>> RedisStore::ReadSchedules(const std::vector<std::string>& names) {
  std::vector<Args> reads;
  for (const std::string& n : names) reads.push_back({"HGETALL", Key("s/" + n)});
  Result<std::vector<Reply>> rows = conn_.Pipeline(reads);
  if (!rows.ok()) return Poison(rows.status());
  std::vector<ScheduleState> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    Fields f = ToFields((*rows)[i].get());
    if (f.empty()) continue;
    f["name"] = names[i];
    out.push_back(DecodeSchedule(f));
  }
  return out;
}

Result<ScheduleState> RedisStore::GetSchedule(std::string_view name) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<ScheduleState> one, ReadSchedules({std::string(name)}));
  if (one.empty()) return Status::NotFound("schedule " + std::string(name) + " does not exist");
  return std::move(one.front());
}

Result<std::vector<ScheduleState>> RedisStore::ListSchedules() {
  CRONQ_ASSIGN_OR_RETURN(Reply names, conn_.Run({"ZRANGE", Key("schedules"), "0", "-1"}));
  if (names.IsError()) return CheckReply(names);
  std::vector<std::string> v;
  for (size_t i = 0; i < names.Size(); ++i) v.push_back(Str(names.At(i)));
  return ReadSchedules(v);
}

// The due ones from sdue, the ones claimable ahead from sahead, merged by next slot.
Result<std::vector<ScheduleState>> RedisStore::DueSchedules(TimeMs now, TimeMs ahead_until, int limit) {
  std::vector<Args> cmds{{"ZRANGEBYSCORE", Key("sdue"), "-inf", std::to_string(now), "WITHSCORES", "LIMIT", "0",
                          std::to_string(limit)}};
  if (ahead_until > now) {
    cmds.push_back({"ZRANGEBYSCORE", Key("sahead"), "(" + std::to_string(now), std::to_string(ahead_until),
                    "WITHSCORES", "LIMIT", "0", std::to_string(limit)});
  }
  Result<std::vector<Reply>> r = conn_.Pipeline(cmds);
  if (!r.ok()) return Poison(r.status());
  std::vector<std::pair<TimeMs, std::string>> found;
  for (const Reply& one : *r) {
    if (one.IsError()) return CheckReply(one);
    for (size_t i = 0; i + 1 < one.Size(); i += 2) found.emplace_back(Int(one.At(i + 1)), Str(one.At(i)));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (found.size() > static_cast<size_t>(limit)) found.resize(static_cast<size_t>(limit));
  std::vector<std::string> v;
  for (auto& [due, name] : found) v.push_back(std::move(name));
  return ReadSchedules(v);
}

Result<std::vector<SlotRecord>> RedisStore::ListSlots(std::string_view name, int limit) {
  const std::string base = Key("s/" + std::string(name));
  CRONQ_ASSIGN_OR_RETURN(Reply dues, conn_.Run({"ZREVRANGE", base + "/slots", "0", std::to_string(limit - 1)}));
  if (dues.IsError()) return CheckReply(dues);
  std::vector<Args> reads;
  for (size_t i = 0; i < dues.Size(); ++i)
    reads.push_back({"HMGET", base + "/slot/" + Str(dues.At(i)), "h", "s", "jq", "ji", "n", "c"});
  Result<std::vector<Reply>> rows = conn_.Pipeline(reads);
  if (!rows.ok()) return Poison(rows.status());
  std::vector<SlotRecord> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    const Reply& r = (*rows)[i];
    if (r.Size() < 6 || IsNil(r.At(0))) continue;
    SlotRecord s;
    s.schedule = std::string(name);
    s.due_at = Int(dues.At(i));
    s.handled_at = Int(r.At(0));
    s.status = static_cast<SlotStatus>(Int(r.At(1)));
    s.job_queue = Str(r.At(2));
    s.job_id = Str(r.At(3));
    s.note = Str(r.At(4));
    s.claimed_at = IsNil(r.At(5)) ? s.handled_at : Int(r.At(5));
    out.push_back(std::move(s));
  }
  return out;
}

Result<AuditPage> RedisStore::ListAudit(const AuditQuery& q) {
  CRONQ_ASSIGN_OR_RETURN(std::string before, ScoreBefore(q.cursor));
  CRONQ_ASSIGN_OR_RETURN(Reply r, conn_.Run({"ZREVRANGEBYSCORE", Key("audit"), before, "-inf", "LIMIT", "0",
                                             std::to_string(q.limit + 1)}));
  if (r.IsError()) return CheckReply(r);
  AuditPage page;
  for (size_t i = 0; i < r.Size(); ++i) {
    if (static_cast<int>(page.entries.size()) == q.limit) {
      page.next_cursor = std::to_string(page.entries.back().seq);
      break;
    }
    std::vector<std::string> v = DecodeFields(Str(r.At(i)));
    if (v.size() < 7) continue;
    page.entries.push_back(AuditEntry{ToInt(v[0]), ToInt(v[1]), v[2], v[3], v[4], v[5], v[6]});
  }
  return page;
}

}  // namespace cronq::redis
