// Redis backend: connection, batches and every state-changing operation.
//
// Atomicity. Each operation is one Lua script (redis_scripts.cc), which Redis
// runs atomically, so concurrent replicas never see a half-made move. A batch is
// a sequence of such scripts; the scripts also append the inverse of each write
// to this store's undo journal, so Rollback() (and a failed Commit()) can undo the
// batch. Commit() drops the journal.
//
// Durability. A script's reply comes after Redis appended its effects to the AOF;
// with `appendfsync always` that append is fsync'd before the reply, so an
// acknowledged write survives a crash of Redis or its machine. With `everysec` up
// to about a second of acknowledged writes can be lost with the machine (not with
// the process alone). docs/storage-format.md has the details.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "core/backoff.h"
#include "core/lifecycle.h"
#include "storage/encoding.h"
#include "storage/queue_config_codec.h"
#include "storage/redis_store_impl.h"

namespace cronq {

Result<RedisOptions> ParseRedisUrl(std::string_view url) {
  RedisOptions o;
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Status::InvalidArgument("a Redis URL starts with redis:// (got " + std::string(url) + ")");
  std::string_view rest = url.substr(kScheme.size());
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = cred.find(':');
    if (colon == std::string_view::npos) {
      o.password = std::string(cred);
    } else {
      o.user = std::string(cred.substr(0, colon));
      o.password = std::string(cred.substr(colon + 1));
    }
  }
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), o.db);
      if (ec != std::errc() || p != db.data() + db.size() || o.db < 0)
        return Status::InvalidArgument("bad database number in Redis URL: " + std::string(db));
    }
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc() || p != port.data() + port.size() || o.port <= 0 || o.port > 65535)
      return Status::InvalidArgument("bad port in Redis URL: " + std::string(port));
    hostport = hostport.substr(0, colon);
  }
  if (!hostport.empty()) o.host = std::string(hostport);
  return o;
}

namespace {
std::string InfoField(const std::string& info, const std::string& name) {
  size_t p = info.find("\n" + name + ":");
  if (p == std::string::npos) {
    if (info.rfind(name + ":", 0) != 0) return {};
    p = 0;
  } else {
    p += 1;
  }
  p += name.size() + 1;
  size_t end = info.find_first_of("\r\n", p);
  return info.substr(p, end == std::string::npos ? std::string::npos : end - p);
}
}  // namespace

Result<RedisServerInfo> InspectRedis(const RedisOptions& options) {
  redis::Conn conn(options);
  CRONQ_RETURN_IF_ERROR(conn.Connect());
  CRONQ_ASSIGN_OR_RETURN(redis::Reply r, conn.Run({"INFO"}));
  if (r.IsError()) return Status::Unavailable("INFO refused: " + r.Str());
  const std::string info = r.Str();
  RedisServerInfo out;
  out.version = InfoField(info, "redis_version");
  out.maxmemory_policy = InfoField(info, "maxmemory_policy");
  out.aof_enabled = InfoField(info, "aof_enabled") == "1";
  // appendfsync is not in INFO; CONFIG may be disabled on managed Redis.
  Result<redis::Reply> c = conn.Run({"CONFIG", "GET", "appendfsync"});
  if (c.ok() && c->Size() == 2) out.appendfsync = redis::Str(c->At(1));
  return out;
}

Result<std::unique_ptr<Store>> OpenRedisStore(const RedisOptions& options) {
  auto store = std::make_unique<redis::RedisStore>(options);
  CRONQ_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

namespace redis {

RedisStore::RedisStore(RedisOptions opt) : opt_(opt), conn_(std::move(opt)), rng_(std::random_device{}()) {
  for (int i = 0; i < kScriptCount; ++i) conn_.Register(ScriptSource(static_cast<ScriptId>(i)));
  journal_ = Key("journal/" + RandomHex());
}

Status RedisStore::Init() { return conn_.Connect(); }

std::string RedisStore::RandomHex() {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng_()));
  return buf;
}

Args RedisStore::Head() const { return Args{opt_.prefix, opt_.journal && in_batch_ ? journal_ : std::string()}; }

Status RedisStore::Poison(Status st) {
  if (!st.ok()) deadlines_.reset();
  if (!st.ok() && in_batch_ && !poisoned_ &&
      (st.code() == Code::kInternal || st.code() == Code::kUnavailable)) {
    poisoned_ = true;
    poison_status_ = st;
  }
  return st;
}

Status RedisStore::CheckReply(const Reply& r) {
  if (!r.IsError()) return Status::Ok();
  std::string msg = r.Str();
  // A refusal raised inside a script comes back as "ERR <code> ...".
  std::string_view code = msg;
  if (code.rfind("ERR ", 0) == 0) code.remove_prefix(4);
  // Refusals that happen before a script writes anything (out of memory at its
  // first write, loading, busy, a failing RDB save, a read-only replica) changed
  // nothing: that one operation fails with 503, the rest of the batch stands.
  if (code.rfind("OOM ", 0) == 0 || code.rfind("LOADING ", 0) == 0 || code.rfind("BUSY ", 0) == 0 ||
      code.rfind("MISCONF ", 0) == 0 || code.rfind("READONLY ", 0) == 0)
    return Status::Unavailable("redis refused the write: " + msg);
  // A script that failed half-way keeps its writes (Redis does not undo them);
  // the batch's journal does.
  return Poison(Status::Internal("redis script error: " + msg));
}

Result<Reply> RedisStore::Eval(ScriptId id, Args args) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> r, EvalMany(id, {std::move(args)}));
  return r.front();
}

Result<std::vector<Reply>> RedisStore::EvalMany(ScriptId id, std::vector<Args> calls) {
  std::vector<std::pair<ScriptId, Args>> each;
  each.reserve(calls.size());
  for (Args& a : calls) each.emplace_back(id, std::move(a));
  return EvalMany(std::move(each));
}

Result<std::vector<Reply>> RedisStore::EvalMany(std::vector<std::pair<ScriptId, Args>> calls) {
  if (calls.empty()) return std::vector<Reply>{};
  const Args head = Head();
  std::vector<std::pair<int, Args>> cmds;
  cmds.reserve(calls.size());
  for (auto& [id, a] : calls) {
    const bool writes = id != kLookup && id != kQueueInfo && id != kGetJob;
    if (writes) dirty_ = true;
    // Scripts that may add an earlier deadline (or whose effect is unknown) make the
    // next NextDeadlines() read them again. Enqueue (callers say when a job is
    // delayed), lease and finish (whose callers fold in what they add) do not.
    if (writes && id != kEnqueue && id != kLease && id != kFinish && id != kQueueOp && id != kAuditAppend)
      deadlines_.reset();
    a.insert(a.begin(), head.begin(), head.end());
    cmds.emplace_back(id, std::move(a));
  }
  Result<std::vector<Reply>> r = conn_.EvalMany(cmds);
  if (!r.ok()) return Poison(r.status());
  for (const Reply& one : *r) {
    Status st = CheckReply(one);
    // In a pipeline the other scripts ran: a refusal of one of them is no longer
    // "nothing changed", so the batch is undone.
    if (!st.ok()) return r->size() > 1 ? Poison(st) : st;
  }
  return r;
}

// ---- batches --------------------------------------------------------------

Status RedisStore::Begin() {
  if (in_batch_) return Status::Internal("Begin() inside a batch");
  CRONQ_RETURN_IF_ERROR(conn_.Ensure());
  in_batch_ = true;
  dirty_ = poisoned_ = false;
  poison_status_ = Status::Ok();
  return Status::Ok();
}

// The batch's scripts have run and replied: their writes are in Redis, so the
// commit only has to drop the journal. That DEL is deferred: it goes out in front
// of the next command (usually the deadline read that follows every batch), so a
// commit costs no round trip, and it runs before any later script can append to
// the journal. A crash before it is sent leaves an unused journal key behind.
Status RedisStore::Commit() {
  if (!in_batch_) return Status::Internal("Commit() outside a batch");
  if (poisoned_) {
    Status st = poison_status_;
    Rollback();
    return st;
  }
  if (dirty_ && opt_.journal) conn_.Defer({"DEL", journal_});
  in_batch_ = false;
  return Status::Ok();
}

void RedisStore::Rollback() {
  deadlines_.reset();
  if (in_batch_ && dirty_ && opt_.journal) {
    Result<Reply> r = conn_.Eval(kRollback, {journal_});
    if (!r.ok() || r->IsError()) {
      // Dropped, not applied later: its writes stay (docs/storage-format.md).
      conn_.Defer({"DEL", journal_});
      spdlog::error("event=redis.rollback_failed journal={} error={:?}", journal_,
                    r.ok() ? r->Str() : r.status().ToString());
    }
  }
  in_batch_ = false;
  dirty_ = false;
}

// ---- producers ------------------------------------------------------------

namespace {

void AppendJob(Args& a, const NewJob& job) {
  const JobOptions& o = job.opts;
  a.push_back(job.name);
  a.push_back(job.data);
  a.push_back(o.job_id);
  a.push_back(std::to_string(o.priority));
  a.push_back(std::to_string(o.delay > 0 ? o.delay : 0));
  a.push_back(std::to_string(o.attempts));
  a.push_back(std::to_string(o.max_stalls));
  a.push_back(sqlite::EncodeBackoff(o.backoff));
  a.push_back(std::to_string(o.timeout > 0 ? o.timeout : 0));
  a.push_back(sqlite::EncodeRetention(o.remove_on_complete));
  a.push_back(sqlite::EncodeRetention(o.remove_on_fail));
  a.push_back(sqlite::UnsetOptions(job));  // taken from the queue's defaults by the script
}

JobState StateOf(const redisReply* r) {
  int64_t s = Int(r);
  return s >= 0 && s < kJobStateCount ? static_cast<JobState>(s) : JobState::kWaiting;
}

Status NotFoundJob(std::string_view queue, std::string_view id) {
  return Status::NotFound("job " + std::string(id) + " not found in queue " + std::string(queue));
}

Status Stale(std::string_view id, const std::string& state_text) {
  JobState state = state_text.empty() ? JobState::kWaiting : static_cast<JobState>(std::stoi(state_text));
  return Status::Conflict("lease token is stale: job " + std::string(id) + " is " + std::string(StateName(state)) +
                          (state == JobState::kActive ? " under another lease" : ""));
}

}  // namespace

Result<EnqueueResult> RedisStore::Enqueue(std::string_view queue, const NewJob& job, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<EnqueueResult> r, EnqueueBatch(queue, {job}, now));
  return std::move(r.front());
}

// One script call per chunk, every chunk in one pipeline. The scripts run in
// order, so a jobId repeated anywhere in the batch is a duplicate of its first
// occurrence, as with one call per job. A chunk bounds how long one script holds
// Redis (other replicas wait meanwhile) and the size of its argument list.
Result<std::vector<EnqueueResult>> RedisStore::EnqueueBatch(std::string_view queue, const std::vector<NewJob>& jobs,
                                                            TimeMs now) {
  std::vector<size_t> sizes;
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> rs, EvalMany(kEnqueue, EnqueueCalls(queue, jobs, now, sizes)));
  return ReadEnqueued(rs, sizes);
}

// The enqueue calls and the lease call in one pipeline: the lease script runs
// right after the enqueue scripts, as the two calls in turn would.
Result<Store::EnqueuedAndLeased> RedisStore::EnqueueThenLease(std::string_view queue, const std::vector<NewJob>& jobs,
                                                              TimeMs now, const FetchSpec& then) {
  std::vector<size_t> sizes;
  std::vector<std::pair<ScriptId, Args>> calls;
  for (Args& a : EnqueueCalls(queue, jobs, now, sizes)) calls.emplace_back(kEnqueue, std::move(a));
  calls.emplace_back(kLease, LeaseCall(then, now));
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> rs, EvalMany(std::move(calls)));
  CRONQ_ASSIGN_OR_RETURN(std::vector<EnqueueResult> added, ReadEnqueued(rs, sizes));
  return EnqueuedAndLeased{std::move(added), ReadLeases(then, rs.back())};
}

std::vector<Args> RedisStore::EnqueueCalls(std::string_view queue, const std::vector<NewJob>& jobs, TimeMs now,
                                           std::vector<size_t>& sizes) {
  constexpr size_t kChunk = 256;
  std::vector<Args> calls;
  for (size_t at = 0; at < jobs.size(); at += kChunk) {
    // The script's form: each distinct set of options once, then name, data,
    // jobId and the index of its option set per job (a batch's jobs usually
    // share their options).
    const size_t end = std::min(jobs.size(), at + kChunk);
    Args sets, per_job;
    per_job.reserve(4 * (end - at));
    std::unordered_map<std::string, size_t> seen;
    for (size_t i = at; i < end; ++i) {
      Args one;
      AppendJob(one, jobs[i]);
      std::string key;
      for (size_t f = 3; f < one.size(); ++f) (key += one[f]) += '\x1f';
      auto [it, added] = seen.try_emplace(std::move(key), seen.size() + 1);
      if (added) sets.insert(sets.end(), one.begin() + 3, one.end());
      per_job.push_back(std::move(one[0]));
      per_job.push_back(std::move(one[1]));
      per_job.push_back(std::move(one[2]));
      per_job.push_back(std::to_string(it->second));
    }
    Args a{std::string(queue), std::to_string(now), std::to_string(seen.size())};
    a.reserve(3 + sets.size() + per_job.size() + 2);
    a.insert(a.end(), std::make_move_iterator(sets.begin()), std::make_move_iterator(sets.end()));
    a.insert(a.end(), std::make_move_iterator(per_job.begin()), std::make_move_iterator(per_job.end()));
    calls.push_back(std::move(a));
    sizes.push_back(end - at);
  }
  for (const NewJob& j : jobs)
    if (j.opts.delay > 0) deadlines_.reset();  // a new delayed deadline
  return calls;
}

Result<std::vector<EnqueueResult>> RedisStore::ReadEnqueued(const std::vector<Reply>& rs,
                                                           const std::vector<size_t>& sizes) {
  std::vector<EnqueueResult> out;
  for (size_t c = 0; c < sizes.size(); ++c) {
    const Reply& r = rs[c];
    if (r.Size() != 3 * sizes[c]) return Poison(Status::Internal("redis: bad enqueue reply"));
    for (size_t i = 0; i < r.Size(); i += 3)
      out.push_back(EnqueueResult{Str(r.At(i)), Int(r.At(i + 1)) != 0, StateOf(r.At(i + 2))});
  }
  return out;
}

// ---- workers --------------------------------------------------------------

Result<std::vector<Lease>> RedisStore::LeaseNext(const FetchSpec& spec, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kLease, LeaseCall(spec, now)));
  return ReadLeases(spec, r);
}

Args RedisStore::LeaseCall(const FetchSpec& spec, TimeMs now) {
  Args a{spec.queue, std::to_string(now), std::to_string(spec.lock_ms), spec.worker, std::to_string(spec.max)};
  for (int i = 0; i < spec.max; ++i) a.push_back(RandomHex());
  a.push_back(spec.push ? "1" : "0");
  a.push_back(std::to_string(spec.max_active));
  a.push_back(std::to_string(spec.rate.max));
  a.push_back(std::to_string(spec.rate.per));
  return a;
}

Result<std::vector<Lease>> RedisStore::ReadLeases(const FetchSpec& spec, const Reply& r) {
  if (r.get() && r.get()->type == REDIS_REPLY_INTEGER && r.Int() == -1)
    return Status::Conflict("queue " + spec.queue + " is a push queue: cronq delivers its jobs to its URL");
  std::vector<Lease> out;
  out.reserve(r.Size());
  for (size_t i = 0; i < r.Size(); ++i) {
    const redisReply* e = r.At(i);
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 11) return Poison(Status::Internal("redis: bad lease reply"));
    Lease l;
    l.queue = spec.queue;
    l.id = Str(e->element[0]);
    l.name = Str(e->element[1]);
    l.data = Str(e->element[2]);
    l.attempt = static_cast<int>(Int(e->element[3]));
    l.token = Str(e->element[4]);
    l.lease_expires = Int(e->element[5]);
    l.created_at = Int(e->element[6]);
    l.timeout = Int(e->element[7]);
    l.max_attempts = static_cast<int>(Int(e->element[8]));
    std::string sched = Str(e->element[9]);
    if (!sched.empty()) l.fire_id = FireId(sched, Int(e->element[10]));
    out.push_back(std::move(l));
  }
  // The only deadline a lease adds is its expiry.
  if (deadlines_ && !out.empty()) {
    std::optional<TimeMs>& next = deadlines_->next_lease;
    for (const Lease& l : out) next = next ? std::min(*next, l.lease_expires) : l.lease_expires;
  }
  return out;
}

Result<TimeMs> RedisStore::Extend(const ExtendSpec& spec, TimeMs now) {
  Args a{spec.queue, spec.id, spec.token, std::to_string(now), std::to_string(spec.lock_ms),
         spec.progress ? "1" : "0", spec.progress.value_or("")};
  a.insert(a.end(), spec.logs.begin(), spec.logs.end());
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kExtend, std::move(a)));
  int64_t code = r.Size() ? Int(r.At(0)) : -1;
  if (code == 1) return NotFoundJob(spec.queue, spec.id);
  if (code == 2) return Stale(spec.id, Str(r.At(1)));
  if (code != 0 || r.Size() < 2) return Poison(Status::Internal("redis: bad extend reply"));
  return Int(r.At(1));
}

Result<RedisStore::Held> RedisStore::Lookup(std::string_view queue, std::string_view id) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kLookup, {std::string(queue), std::string(id)}));
  if (r.Size() == 0) return NotFoundJob(queue, id);
  if (r.Size() < 13) return Poison(Status::Internal("redis: bad lookup reply"));
  Held h;
  h.seq = Str(r.At(0));
  h.state = StateOf(r.At(1));
  h.token = Str(r.At(2));
  h.name = Str(r.At(3));
  h.attempts_made = static_cast<int>(Int(r.At(4)));
  h.attempts_max = static_cast<int>(Int(r.At(5)));
  h.max_stalls = static_cast<int>(Int(r.At(6)));
  h.stalls = static_cast<int>(Int(r.At(7)));
  h.started_at = Int(r.At(8));
  h.timeout = Int(r.At(9));
  h.backoff = Str(r.At(10));
  h.by_timeout = Int(r.At(11)) != 0;
  h.lease_expires = Int(r.At(12));
  return h;
}

namespace {

// One attempt's fields for the finish script (after its now and only-expired head).
void AppendFinish(Args& a, std::string_view queue, std::string_view id, std::string_view token, std::string_view kind,
                  JobState to, Outcome o, TimeMs run_at, std::string_view msg, std::string_view stack,
                  std::string_view result) {
  a.emplace_back(queue);
  a.emplace_back(id);
  a.emplace_back(token);
  a.emplace_back(kind);
  a.push_back(std::to_string(static_cast<int>(to)));
  a.push_back(std::to_string(static_cast<int>(o)));
  a.push_back(std::to_string(run_at));
  a.emplace_back(msg);
  a.emplace_back(stack);
  a.emplace_back(result);
}

}  // namespace

void RedisStore::KeepAddedDeadlines(const redisReply* added) {
  if (!deadlines_) return;
  if (!added || added->type != REDIS_REPLY_ARRAY || added->elements != 2) {
    deadlines_.reset();
    return;
  }
  auto fold = [](std::optional<TimeMs>& kept, int64_t t) {
    if (t > 0 && (!kept || t < *kept)) kept = t;
  };
  fold(deadlines_->next_delayed, Int(added->element[0]));
  fold(deadlines_->next_retention, Int(added->element[1]));
}

Result<AttemptEnd> RedisStore::FinishReply(const redisReply* r, std::string_view queue, std::string_view id,
                                           TimeMs now, JobState to, Outcome o, std::string_view msg) {
  const size_t n = r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
  int64_t code = n ? Int(r->element[0]) : -1;
  if (code == 1) return NotFoundJob(queue, id);
  if (code == 2 && n >= 2) return Stale(id, Str(r->element[1]));
  if (code == 3) return Status::Conflict("the lease was extended meanwhile");
  if (code != 0 || n < 4) return Poison(Status::Internal("redis: bad finish reply"));
  return AttemptEnd{std::string(queue), std::string(id), Str(r->element[1]), static_cast<int>(Int(r->element[2])), o,
                    to, Int(r->element[3]), now, std::string(msg)};
}

Result<AttemptEnd> RedisStore::Finish(std::string_view queue, std::string_view id, std::string_view token,
                                      TimeMs now, std::string_view kind, JobState to, Outcome o, TimeMs run_at,
                                      std::string_view msg, std::string_view stack, std::string_view result,
                                      bool only_expired) {
  Args a{std::to_string(now), only_expired ? "1" : "0"};
  AppendFinish(a, queue, id, token, kind, to, o, run_at, msg, stack, result);
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kFinish, std::move(a)));
  if (r.Size() != 2) return Poison(Status::Internal("redis: bad finish reply"));
  KeepAddedDeadlines(r.At(1));
  return FinishReply(r.At(0), queue, id, now, to, o, msg);
}

// Completions need no decision before the script: a batch of them is one script
// call per 256, every call in one pipeline.
std::vector<Result<AttemptEnd>> RedisStore::CompleteBatch(const std::vector<CompleteSpec>& specs, TimeMs now) {
  constexpr size_t kChunk = 256;
  const JobState to = JobState::kCompleted;
  std::vector<Args> calls;
  for (size_t at = 0; at < specs.size(); at += kChunk) {
    // "c": the script's short form for completions (queue, id, token, result).
    Args a{std::to_string(now), "c"};
    for (size_t i = at; i < std::min(specs.size(), at + kChunk); ++i) {
      const CompleteSpec& c = specs[i];
      a.push_back(c.queue);
      a.push_back(c.id);
      a.push_back(c.token);
      a.push_back(c.result);
    }
    calls.push_back(std::move(a));
  }
  std::vector<Result<AttemptEnd>> out;
  out.reserve(specs.size());
  Result<std::vector<Reply>> rs = EvalMany(kFinish, std::move(calls));
  if (rs.ok()) {
    for (const Reply& chunk : *rs) {
      if (chunk.Size() == 0) deadlines_.reset();
      else KeepAddedDeadlines(chunk.At(chunk.Size() - 1));
    }
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!rs.ok()) {
      out.push_back(rs.status());
      continue;
    }
    const Reply& chunk = (*rs)[i / kChunk];
    const redisReply* one = i % kChunk + 1 < chunk.Size() ? chunk.At(i % kChunk) : nullptr;
    out.push_back(FinishReply(one, specs[i].queue, specs[i].id, now, to, Outcome::kCompleted, {}));
  }
  return out;
}

Result<AttemptEnd> RedisStore::Complete(const CompleteSpec& spec, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(JobState::kActive, Event::kComplete));
  CRONQ_ASSIGN_OR_RETURN(AttemptEnd e, Finish(spec.queue, spec.id, spec.token, now, "complete", to,
                                              Outcome::kCompleted, 0, {}, {}, spec.result, false));
  e.error.clear();
  return e;
}

Result<AttemptEnd> RedisStore::Fail(const FailSpec& spec, TimeMs now, double unit) {
  CRONQ_ASSIGN_OR_RETURN(Held h, Lookup(spec.queue, spec.id));
  if (h.state != JobState::kActive || h.token != spec.token) return Stale(spec.id, std::to_string(int(h.state)));
  JobOptions opts;
  opts.attempts = h.attempts_max;
  opts.backoff = sqlite::DecodeBackoff(h.backoff);
  FailureDecision d = DecideAfterFailure(opts, h.attempts_made + 1, spec.unrecoverable, now, unit, spec.retry_delay);
  CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(JobState::kActive, d.event));
  return Finish(spec.queue, spec.id, spec.token, now, "fail", to, spec.timed_out ? Outcome::kTimeout : Outcome::kFailed,
                d.run_at, spec.message, spec.stack, {}, false);
}

// ---- operators ----------------------------------------------------------------

Status RedisStore::Operate(std::string_view queue, std::string_view id, Event e, const char* op) {
  CRONQ_ASSIGN_OR_RETURN(Held h, Lookup(queue, id));
  CRONQ_RETURN_IF_ERROR(Apply(h.state, e).status());
  CRONQ_ASSIGN_OR_RETURN(
      Reply r, Eval(kOperate, {std::string(queue), std::string(id), op, std::to_string(static_cast<int>(h.state))}));
  int64_t code = r.Size() ? Int(r.At(0)) : -1;
  if (code == 1) return NotFoundJob(queue, id);
  if (code == 2) return Status::Conflict("job " + std::string(id) + " changed state meanwhile; try again");
  if (code != 0) return Poison(Status::Internal("redis: bad operator reply"));
  return Status::Ok();
}

Status RedisStore::Retry(std::string_view queue, std::string_view id, TimeMs) {
  return Operate(queue, id, Event::kOperatorRetry, "retry");
}
Status RedisStore::Promote(std::string_view queue, std::string_view id, TimeMs) {
  return Operate(queue, id, Event::kPromote, "promote");
}
Status RedisStore::Remove(std::string_view queue, std::string_view id) {
  return Operate(queue, id, Event::kRemove, "remove");
}

Status RedisStore::SetPaused(std::string_view queue, bool paused, TimeMs now) {
  return Eval(kQueueOp, {std::string(queue), std::to_string(now), paused ? "pause" : "resume"}).status();
}

Status RedisStore::SetQueueConfig(std::string_view queue, const QueueConfig& c, TimeMs now) {
  const JobDefaults& d = c.defaults;
  return Eval(kQueueOp, {std::string(queue), std::to_string(now), "config", c.push ? EncodePushConfig(*c.push) : "",
                         EncodeJobDefaults(d), d.attempts ? std::to_string(*d.attempts) : "",
                         d.backoff ? sqlite::EncodeBackoff(*d.backoff) : ""})
      .status();
}

Status RedisStore::CreateQueue(std::string_view queue, TimeMs now) {
  return Eval(kQueueOp, {std::string(queue), std::to_string(now), "create"}).status();
}

// ---- schedules ------------------------------------------------------------------

Status RedisStore::PutSchedule(const ScheduleDef& d, std::optional<TimeMs> next_due, TimeMs now) {
  const SchedulePolicy& p = d.policy;
  Args a{d.name, std::to_string(now), next_due ? std::to_string(*next_due) : "", d.paused ? "1" : "0"};
  const std::pair<const char*, std::string> fields[] = {
      {"ex", d.expr},
      {"tz", d.tz},
      {"q", d.queue},
      {"jn", d.job.name},
      {"jd", d.job.data},
      {"jo", sqlite::EncodeJobOptions(d.job)},
      {"mi", std::to_string(static_cast<int>(p.missed))},
      {"mr", std::to_string(p.max_runs)},
      {"wi", std::to_string(p.within)},
      {"ov", std::to_string(static_cast<int>(p.overlap))},
      {"gr", std::to_string(p.grace)},
      {"st", std::to_string(p.start_at)},
      {"en", std::to_string(p.end_at)},
  };
  for (const auto& [k, v] : fields) {
    a.push_back(k);
    a.push_back(v);
  }
  return Eval(kSchedPut, std::move(a)).status();
}

Status RedisStore::DeleteSchedule(std::string_view name) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kSchedDel, {std::string(name)}));
  if (r.Int() == 1) return Status::NotFound("schedule " + std::string(name) + " does not exist");
  return Status::Ok();
}

Status RedisStore::SetSchedulePaused(std::string_view name, bool paused, std::optional<TimeMs> next_due, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kSchedSet, {std::string(name), "pause", next_due ? std::to_string(*next_due) : "",
                                                   paused ? "1" : "0", std::to_string(now)}));
  if (r.Int() == 1) return Status::NotFound("schedule " + std::string(name) + " does not exist");
  return Status::Ok();
}

Status RedisStore::AdvanceSchedule(std::string_view name, std::optional<TimeMs> next_due) {
  return Eval(kSchedSet, {std::string(name), "advance", next_due ? std::to_string(*next_due) : "", "0", "0"}).status();
}

Result<SlotClaim> RedisStore::ClaimSlot(std::string_view name, TimeMs due, SlotStatus status, const NewJob* job,
                                        std::string_view queue, std::string_view note, TimeMs now, TimeMs ready_at) {
  const bool fire = status == SlotStatus::kFired && job;
  Args a{std::string(name),  std::to_string(due), std::to_string(static_cast<int>(status)), std::string(queue),
         std::string(note),  std::to_string(now), fire ? "1" : "0", std::to_string(ready_at)};
  if (fire) AppendJob(a, *job);
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kClaim, std::move(a)));
  SlotClaim out;
  if (r.Size() == 0) return Poison(Status::Internal("redis: bad claim reply"));
  out.claimed = Int(r.At(0)) == 1;
  if (out.claimed && r.Size() >= 3) {
    out.job_id = Str(r.At(1));
    out.job_state = StateOf(r.At(2));
  }
  return out;
}

Result<std::vector<TimeMs>> RedisStore::WithdrawSlots(std::string_view name, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(Reply r, Eval(kWithdraw, {std::string(name), std::to_string(now)}));
  std::vector<TimeMs> out;
  for (size_t i = 0; i < r.Size(); ++i) out.push_back(Int(r.At(i)));
  return out;
}

// ---- audit log ------------------------------------------------------------------

Status RedisStore::AppendAudit(const AuditEntry& e) {
  return Eval(kAuditAppend, {std::to_string(e.at), e.actor, e.scope, e.action, e.target, e.detail}).status();
}

// ---- dashboard sessions -----------------------------------------------------
// One string per session, "<expires>\n<token fingerprint>\n<csrf>", that Redis drops when
// it expires. Not journaled: a session written by a batch that then fails
// is never handed out, and expires on its own.

namespace {
std::string SessionSuffix(std::string_view key) { return "session/" + std::string(key); }
}  // namespace

Status RedisStore::PutSession(std::string_view key, const SessionRecord& r, TimeMs now, bool only_existing) {
  if (r.expires <= now) return DeleteSession(key);
  // PX (time to live), not PXAT: Redis's clock need not agree with this one.
  Args set{"SET", Key(SessionSuffix(key)), std::to_string(r.expires) + "\n" + r.token + "\n" + r.csrf, "PX",
           std::to_string(r.expires - now)};
  if (only_existing) set.push_back("XX");
  Result<Reply> rep = conn_.Run(set);
  if (!rep.ok()) return Poison(rep.status());
  return CheckReply(*rep);
}

Result<std::optional<SessionRecord>> RedisStore::GetSession(std::string_view key, TimeMs now) {
  Result<Reply> rep = conn_.Run({"GET", Key(SessionSuffix(key))});
  if (!rep.ok()) return Poison(rep.status());
  CRONQ_RETURN_IF_ERROR(CheckReply(*rep));
  if (rep->IsNil()) return std::optional<SessionRecord>();
  const std::string v = rep->Str();
  const size_t a = v.find('\n'), b = a == std::string::npos ? a : v.find('\n', a + 1);
  if (b == std::string::npos) return Poison(Status::Internal("redis: bad session value"));
  SessionRecord r{v.substr(a + 1, b - a - 1), v.substr(b + 1), std::strtoll(v.c_str(), nullptr, 10)};
  if (r.expires <= now) return std::optional<SessionRecord>();
  return std::optional<SessionRecord>(std::move(r));
}

Status RedisStore::DeleteSession(std::string_view key) {
  Result<Reply> rep = conn_.Run({"DEL", Key(SessionSuffix(key))});
  if (!rep.ok()) return Poison(rep.status());
  return CheckReply(*rep);
}

}  // namespace redis
}  // namespace cronq
