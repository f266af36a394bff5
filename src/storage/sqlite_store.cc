// SQLite backend: batches and every state-changing operation.
//
// Durability: WAL with synchronous=FULL, so COMMIT returns after the WAL is
// fsync'd. The engine commits many operations at once (group commit); this file
// only has to keep each batch atomic. Per-state counts are kept as in-memory
// deltas during a batch and written just before COMMIT, so they cost a few rows
// per batch, not per job.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <tuple>

#include <spdlog/spdlog.h>

#include "core/backoff.h"
#include "core/lease.h"
#include "core/lifecycle.h"
#include "core/limits.h"
#include "storage/queue_config_codec.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_store_impl.h"

namespace cronq {

int SqliteSchemaVersion() { return sqlite::SchemaVersion(); }

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  CRONQ_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Db> db, sqlite::Db::Open(options.path));
  // One process owns the file: exclusive locking spares two fcntl() locks per
  // transaction and keeps the WAL index in memory (no -shm file). Set before WAL.
  CRONQ_RETURN_IF_ERROR(db->Exec("PRAGMA locking_mode=EXCLUSIVE"));
  CRONQ_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  CRONQ_RETURN_IF_ERROR(db->Exec(options.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  CRONQ_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-" + std::to_string(options.cache_kib)));
  CRONQ_RETURN_IF_ERROR(db->Exec("PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=5000"));
  CRONQ_RETURN_IF_ERROR(sqlite::Migrate(*db, sqlite::SchemaVersion()));
  auto store = std::make_unique<sqlite::SqliteStore>(std::move(db));
  CRONQ_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

namespace sqlite {

// ---- encodings ------------------------------------------------------------

std::string EncodeBackoff(const Backoff& b) {
  if (b.type == Backoff::Type::kNone) return {};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%c,%lld,%.6g,%lld", b.type == Backoff::Type::kFixed ? 'f' : 'e',
                static_cast<long long>(b.delay), b.jitter, static_cast<long long>(b.max_delay));
  return buf;
}

Backoff DecodeBackoff(std::string_view s) {
  Backoff b;
  if (s.size() < 2) return b;
  char t = 0;
  long long delay = 0, max = 0;
  double jitter = 0;
  std::string copy(s);
  if (std::sscanf(copy.c_str(), "%c,%lld,%lf,%lld", &t, &delay, &jitter, &max) == 4) {
    b.type = t == 'f' ? Backoff::Type::kFixed : Backoff::Type::kExponential;
    b.delay = delay;
    b.jitter = jitter;
    b.max_delay = max;
  }
  return b;
}

std::string EncodeRetention(const Retention& r) {
  if (r.remove_now) return "r";
  if (r.keep_all()) return {};
  return std::to_string(r.count) + "," + std::to_string(r.age);
}

Retention DecodeRetention(std::string_view s) {
  Retention r;
  if (s.empty()) return r;
  if (s == "r") {
    r.remove_now = true;
    return r;
  }
  long long count = -1, age = -1;
  std::string copy(s);
  if (std::sscanf(copy.c_str(), "%lld,%lld", &count, &age) == 2) {
    r.count = count;
    r.age = age;
  }
  return r;
}

std::string JobIdOf(int64_t seq, std::string_view custom_id) {
  return custom_id.empty() ? std::to_string(seq) : std::string(custom_id);
}

// ---- batches --------------------------------------------------------------

template <typename T>
T SqliteStore::Poison(T st_or_result) {
  if (!st_or_result.ok() && !poisoned_) {
    Code c = st_or_result.status().code();
    if (c == Code::kInternal || c == Code::kUnavailable) {
      poisoned_ = true;
      poison_status_ = st_or_result.status();
    }
  }
  return st_or_result;
}
template <>
Status SqliteStore::Poison(Status st) {
  if (!st.ok() && !poisoned_ && (st.code() == Code::kInternal || st.code() == Code::kUnavailable)) {
    poisoned_ = true;
    poison_status_ = st;
  }
  return st;
}

// The WAL is checkpointed by Housekeep(), after the answers of the batch that
// grew it have gone out, instead of inside that batch's COMMIT (SQLite's
// automatic checkpoint, which this hook replaces): copying 1000 pages into the
// database file and syncing it takes milliseconds on a slow disk, and the batch
// that paid for it could be the one serving a parked fetch at a due instant.
constexpr int kCheckpointPages = 1000;       // as SQLite's automatic checkpoint
constexpr int kCheckpointPagesSoon = 8000;   // even when a deadline is close

Status SqliteStore::Init() {
  sqlite3_wal_hook(
      db_->raw(),
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<SqliteStore*>(self)->wal_pages_ = pages;
        return SQLITE_OK;
      },
      this);
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT name, job_defaults FROM queues"));
  while (s.Step()) {
    known_queues_.insert(s.Text(0));
    if (!s.IsNull(1)) defaults_[s.Text(0)] = DecodeJobDefaults(s.Text(1));
  }
  return s.status();
}

const JobDefaults* SqliteStore::DefaultsOf(const std::string& queue) const {
  if (auto it = batch_defaults_.find(queue); it != batch_defaults_.end()) return &it->second;
  if (auto it = defaults_.find(queue); it != defaults_.end()) return &it->second;
  return nullptr;
}

Status SqliteStore::Begin() {
  if (in_batch_) return Status::Internal("Begin() inside a batch");
  CRONQ_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  in_batch_ = true;
  (void)db_->TakePrepareFailure();
  poisoned_ = false;
  poison_status_ = Status::Ok();
  return Status::Ok();
}

Status SqliteStore::Commit() {
  if (!in_batch_) return Status::Internal("Commit() outside a batch");
  Status st = poisoned_ ? poison_status_ : Status::Ok();
  if (db_->TakePrepareFailure() && st.ok()) st = Status::Internal("a statement could not be prepared in this batch");
  if (st.ok()) st = RunTrims();
  if (st.ok()) st = FlushCounts();
  if (st.ok()) st = db_->Exec("COMMIT");
  if (!st.ok()) {
    Rollback();
    return st;
  }
  in_batch_ = false;
  known_queues_.insert(batch_queues_.begin(), batch_queues_.end());
  batch_queues_.clear();
  for (auto& [q, d] : batch_defaults_) {
    if (d.empty()) defaults_.erase(q);
    else defaults_[q] = std::move(d);
  }
  batch_defaults_.clear();
  for (auto& [q, ts] : batch_starts_) starts_[q].insert(starts_[q].end(), ts.begin(), ts.end());
  batch_starts_.clear();
  return Status::Ok();
}

bool SqliteStore::HousekeepingDue(bool soon) const {
  return !in_batch_ && wal_pages_ >= (soon ? kCheckpointPagesSoon : kCheckpointPages);
}

void SqliteStore::Housekeep(bool soon) {
  if (!HousekeepingDue(soon)) return;
  // PASSIVE: this connection is the only one, so it copies every frame; the next
  // commit then writes the WAL from its start again.
  if (sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) != SQLITE_OK) {
    spdlog::warn("event=sqlite.checkpoint_failed error={:?}", sqlite3_errmsg(db_->raw()));
  }
  wal_pages_ = 0;
}

void SqliteStore::Rollback() {
  if (in_batch_) (void)db_->Exec("ROLLBACK");
  in_batch_ = false;
  batch_queues_.clear();
  batch_defaults_.clear();
  count_deltas_.clear();
  trims_.clear();
  batch_starts_.clear();
}

Status SqliteStore::FlushCounts() {
  for (const auto& [key, delta] : count_deltas_) {
    if (delta == 0) continue;
    CRONQ_ASSIGN_OR_RETURN(
        Stmt s, db_->Prepare("INSERT INTO queue_counts(queue, state, n) VALUES(?1, ?2, ?3) "
                             "ON CONFLICT(queue, state) DO UPDATE SET n = n + excluded.n"));
    CRONQ_RETURN_IF_ERROR(s.Bind(1, key.first).Bind(2, key.second).Bind(3, delta).Run());
  }
  count_deltas_.clear();
  return Status::Ok();
}

Status SqliteStore::Move(std::string_view queue, JobState from, JobState to) {
  if (from == to) return Status::Ok();
  std::string q(queue);
  count_deltas_[{q, static_cast<int>(from)}] -= 1;
  count_deltas_[{q, static_cast<int>(to)}] += 1;
  return Status::Ok();
}

std::string SqliteStore::NewToken(int64_t lease_no) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%016llx", static_cast<long long>(lease_no),
                static_cast<unsigned long long>(rng_()));
  return buf;
}

Status SqliteStore::EnsureQueue(std::string_view queue, TimeMs now) {
  std::string q(queue);
  if (known_queues_.count(q) || batch_queues_.count(q)) return Status::Ok();
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("INSERT OR IGNORE INTO queues(name, paused, created_at) VALUES(?1, 0, ?2)"));
  CRONQ_RETURN_IF_ERROR(Poison(s.Bind(1, queue).Bind(2, now).Run()));
  batch_queues_.insert(std::move(q));
  return Status::Ok();
}

// ---- producers ------------------------------------------------------------

Result<EnqueueResult> SqliteStore::Enqueue(std::string_view queue, const NewJob& job, TimeMs now) {
  return Insert(queue, job, now, {}, 0);
}

Result<EnqueueResult> SqliteStore::Insert(std::string_view queue, const NewJob& given, TimeMs now,
                                          std::string_view sched, TimeMs sched_due, TimeMs ready_at) {
  const NewJob* jp = &given;
  NewJob defaulted;
  if (!given.attempts_set || !given.backoff_set) {
    if (const JobDefaults* d = DefaultsOf(std::string(queue))) {
      defaulted = given;
      ApplyJobDefaults(*d, defaulted);
      jp = &defaulted;
    }
  }
  const NewJob& job = *jp;
  const JobOptions& o = job.opts;
  if (!o.job_id.empty()) {
    Result<JobRef> existing = FindJob(queue, o.job_id);
    if (existing.ok()) return EnqueueResult{o.job_id, true, existing->state};
    if (!existing.status().IsNotFound()) return Poison(existing.status());
  }
  CRONQ_RETURN_IF_ERROR(EnsureQueue(queue, now));
  const TimeMs base = std::max(now, ready_at);
  const bool delayed = o.delay > 0 || base > now;
  const JobState state = delayed ? JobState::kDelayed : JobState::kWaiting;
  CRONQ_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare("INSERT INTO jobs(queue, custom_id, name, data, state, priority, created_at, run_at, "
                           "attempts_max, max_stalls, backoff, timeout_ms, keep_complete, keep_fail, delay_ms, sched, sched_due) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"));
  const std::string backoff = EncodeBackoff(o.backoff);
  const std::string keep_c = EncodeRetention(o.remove_on_complete);
  const std::string keep_f = EncodeRetention(o.remove_on_fail);
  s.Bind(1, queue).BindTextOrNull(2, o.job_id).Bind(3, job.name).Bind(4, job.data);
  s.Bind(5, static_cast<int64_t>(state)).Bind(6, o.priority).Bind(7, now);
  s.BindOpt(8, delayed ? std::optional<int64_t>(base + o.delay) : std::nullopt);
  s.Bind(9, o.attempts).Bind(10, o.max_stalls).BindTextOrNull(11, backoff);
  s.BindOpt(12, o.timeout > 0 ? std::optional<int64_t>(o.timeout) : std::nullopt);
  s.BindTextOrNull(13, keep_c).BindTextOrNull(14, keep_f);
  s.BindOpt(15, o.delay > 0 ? std::optional<int64_t>(o.delay) : std::nullopt);
  s.BindTextOrNull(16, sched).BindOpt(17, sched.empty() ? std::nullopt : std::optional<int64_t>(sched_due));
  CRONQ_RETURN_IF_ERROR(Poison(s.Run()));
  const int64_t seq = sqlite3_last_insert_rowid(db_->raw());
  count_deltas_[{std::string(queue), static_cast<int>(state)}] += 1;
  return EnqueueResult{JobIdOf(seq, o.job_id), false, state};
}

// ---- workers --------------------------------------------------------------

Result<std::vector<Lease>> SqliteStore::LeaseNext(const FetchSpec& spec, TimeMs now) {
  std::vector<Lease> out;
  {
    CRONQ_ASSIGN_OR_RETURN(Stmt p, db_->Prepare("SELECT paused, push IS NOT NULL FROM queues WHERE name = ?1"));
    const bool found = p.Bind(1, spec.queue).Step();
    CRONQ_RETURN_IF_ERROR(Poison(p.status()));
    const bool push_queue = found && p.Int(1) != 0;
    if (push_queue && !spec.push)
      return Status::Conflict("queue " + spec.queue + " is a push queue: cronq delivers its jobs to its URL");
    if (!push_queue && spec.push) return out;  // no longer a push queue: the deliverer takes nothing
    if (found && p.Int(0) != 0) return out;
  }
  int64_t limit = spec.max;
  if (spec.max_active > 0) {  // the queue's active jobs: stored count plus this batch's moves
    CRONQ_ASSIGN_OR_RETURN(Stmt c, db_->Prepare("SELECT n FROM queue_counts WHERE queue = ?1 AND state = 2"));
    int64_t active = c.Bind(1, spec.queue).Step() ? c.Int(0) : 0;
    CRONQ_RETURN_IF_ERROR(Poison(c.status()));
    auto d = count_deltas_.find({spec.queue, static_cast<int>(JobState::kActive)});
    if (d != count_deltas_.end()) active += d->second;
    limit = std::min<int64_t>(limit, spec.max_active - active);
    if (limit <= 0) return out;
  }
  std::deque<TimeMs>* window = nullptr;
  if (spec.rate.max > 0) {  // starts in the window: committed ones still inside it, plus this batch's
    std::deque<TimeMs>& committed = starts_[spec.queue];
    while (!committed.empty() && committed.front() <= now - spec.rate.per) committed.pop_front();
    window = &batch_starts_[spec.queue];
    int64_t started = static_cast<int64_t>(committed.size());
    for (TimeMs t : *window)
      if (t > now - spec.rate.per) ++started;
    limit = std::min<int64_t>(limit, spec.rate.max - started);
    if (limit <= 0) return out;
  }
  // Waiting jobs, and delayed ones already due that the due pass has not promoted
  // yet: a worker never waits for promotion. Both lists are read in their own
  // order and merged by (priority, seq), the order the due jobs take once
  // promoted; while more jobs are due than the fetch takes, the earliest due go
  // first.
  struct Row {
    int64_t seq, lease_no, priority;
    JobState from;
    Lease lease;
  };
  std::vector<Row> rows;
  auto read = [&](const char* sql, JobState from) -> Status {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
    s.Bind(1, spec.queue).Bind(2, limit);
    if (from == JobState::kDelayed) s.Bind(3, now);
    while (s.Step()) {
      Row r;
      r.seq = s.Int(0);
      r.from = from;
      r.lease.queue = spec.queue;
      r.lease.id = JobIdOf(r.seq, s.Text(1));
      r.lease.name = s.Text(2);
      r.lease.data = s.Text(3);
      r.lease.attempt = static_cast<int>(s.Int(4)) + 1;
      r.lease.max_attempts = static_cast<int>(s.Int(5));
      r.lease.timeout = s.IsNull(6) ? 0 : s.Int(6);
      r.lease.created_at = s.Int(7);
      r.lease_no = s.Int(8) + 1;
      if (!s.IsNull(9)) r.lease.fire_id = FireId(s.Text(9), s.Int(10));
      r.priority = s.Int(11);
      rows.push_back(std::move(r));
    }
    return Poison(s.status());
  };
#define CRONQ_LEASE_COLUMNS                                                                                   \
  "SELECT seq, custom_id, name, data, attempts_made, attempts_max, timeout_ms, created_at, lease_no, sched, " \
  "sched_due, priority FROM jobs "
  CRONQ_RETURN_IF_ERROR(read(CRONQ_LEASE_COLUMNS "WHERE queue = ?1 AND state = 0 ORDER BY priority, seq LIMIT ?2",
                             JobState::kWaiting));
  const size_t waiting = rows.size();
  CRONQ_RETURN_IF_ERROR(read(CRONQ_LEASE_COLUMNS "WHERE queue = ?1 AND state = 1 AND run_at <= ?3 "
                                                 "ORDER BY run_at, seq LIMIT ?2",
                             JobState::kDelayed));
#undef CRONQ_LEASE_COLUMNS
  if (rows.size() > waiting) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return std::tie(a.priority, a.seq) < std::tie(b.priority, b.seq); });
    if (static_cast<int64_t>(rows.size()) > limit) rows.resize(static_cast<size_t>(limit));
  }
  for (Row& r : rows) {
    LeaseWindow w = ComputeLease(now, spec.lock_ms, now, r.lease.timeout);
    r.lease.token = NewToken(r.lease_no);
    r.lease.lease_expires = w.expires;
    CRONQ_ASSIGN_OR_RETURN(
        Stmt u, db_->Prepare("UPDATE jobs SET state = 2, run_at = NULL, lease_no = ?2, token = ?3, lease_expires = ?4, "
                             "lease_by_timeout = ?5, started_at = ?6, worker = ?7 WHERE seq = ?1"));
    u.Bind(1, r.seq).Bind(2, r.lease_no).Bind(3, r.lease.token).Bind(4, w.expires);
    u.Bind(5, w.by_timeout ? 1 : 0).Bind(6, now).BindTextOrNull(7, spec.worker);
    CRONQ_RETURN_IF_ERROR(Poison(u.Run()));
    // The running attempt lives in the job row (started_at, lease_no, worker); its
    // attempts row is written once, when it ends (one write per attempt, not two).
    CRONQ_RETURN_IF_ERROR(Move(spec.queue, r.from, JobState::kActive));
    if (window) window->push_back(now);
    out.push_back(std::move(r.lease));
  }
  return out;
}

SqliteStore::Held ReadHeld(const Stmt& s, int c) {
  SqliteStore::Held h;
  h.seq = s.Int(c);
  h.id = JobIdOf(h.seq, s.Text(c + 1));
  h.name = s.Text(c + 2);
  h.attempts_made = static_cast<int>(s.Int(c + 3));
  h.attempts_max = static_cast<int>(s.Int(c + 4));
  h.max_stalls = static_cast<int>(s.Int(c + 5));
  h.stalls = static_cast<int>(s.Int(c + 6));
  h.lease_no = s.Int(c + 7);
  h.started_at = s.Int(c + 8);
  h.timeout = s.IsNull(c + 9) ? 0 : s.Int(c + 9);
  h.backoff = s.Text(c + 10);
  h.keep_complete = s.Text(c + 11);
  h.keep_fail = s.Text(c + 12);
  h.sched = s.Text(c + 13);
  h.sched_due = s.IsNull(c + 14) ? 0 : s.Int(c + 14);
  h.worker = s.Text(c + 15);
  return h;
}

Result<SqliteStore::Held> SqliteStore::FindHeld(std::string_view queue, std::string_view id,
                                               std::string_view token) {
  // One lookup on the hot acknowledgement path (id -> row, state and token).
  std::optional<int64_t> seq = NumericId(id);
  const char* sql = seq ? "SELECT state, token, " CRONQ_HELD_COLUMNS " FROM jobs WHERE seq = ?2 AND queue = ?1"
                        : "SELECT state, token, " CRONQ_HELD_COLUMNS " FROM jobs WHERE queue = ?1 AND custom_id = ?2";
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  s.Bind(1, queue);
  if (seq) s.Bind(2, *seq);
  else s.Bind(2, id);
  if (!s.Step()) {
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
    return Status::NotFound("job " + std::string(id) + " not found in queue " + std::string(queue));
  }
  const auto state = static_cast<JobState>(s.Int(0));
  if (state != JobState::kActive || s.Text(1) != token) {
    return Status::Conflict("lease token is stale: job " + std::string(id) + " is " + std::string(StateName(state)) +
                            (state == JobState::kActive ? " under another lease" : ""));
  }
  SqliteStore::Held h = ReadHeld(s, 2);
  h.id = std::string(id);
  return h;
}

Result<TimeMs> SqliteStore::Extend(const ExtendSpec& spec, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(Held h, FindHeld(spec.queue, spec.id, spec.token));
  LeaseWindow w = ComputeLease(now, spec.lock_ms, h.started_at, h.timeout);
  {
    CRONQ_ASSIGN_OR_RETURN(Stmt u, db_->Prepare("UPDATE jobs SET lease_expires = ?2, lease_by_timeout = ?3, "
                                                "progress = COALESCE(?4, progress) WHERE seq = ?1"));
    u.Bind(1, h.seq).Bind(2, w.expires).Bind(3, w.by_timeout ? 1 : 0);
    if (spec.progress) u.Bind(4, *spec.progress); else u.BindNull(4);
    CRONQ_RETURN_IF_ERROR(Poison(u.Run()));
  }
  for (const std::string& line : spec.logs) {
    CRONQ_ASSIGN_OR_RETURN(Stmt l, db_->Prepare("INSERT INTO job_logs(job_seq, at, line) VALUES(?1, ?2, ?3)"));
    CRONQ_RETURN_IF_ERROR(Poison(l.Bind(1, h.seq).Bind(2, now).Bind(3, line).Run()));
  }
  if (!spec.logs.empty()) {  // keep the newest kLogLinesPerJob lines
    CRONQ_ASSIGN_OR_RETURN(
        Stmt d, db_->Prepare("DELETE FROM job_logs WHERE job_seq = ?1 AND id <= (SELECT id FROM job_logs "
                             "WHERE job_seq = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)"));
    CRONQ_RETURN_IF_ERROR(Poison(d.Bind(1, h.seq).Bind(2, static_cast<int64_t>(limits::kLogLinesPerJob)).Run()));
  }
  return w.expires;
}

// Records the attempt that ran under lease `h.lease_no`. OR REPLACE: files written
// before this scheme kept a running row per lease.
Status SqliteStore::EndAttempt(const Held& h, Outcome o, TimeMs now, std::string_view msg, std::string_view stack) {
  CRONQ_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare("INSERT OR REPLACE INTO attempts(job_seq, lease_no, attempt, started_at, ended_at, outcome, "
                           "error_message, error_stack, worker) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  s.Bind(1, h.seq).Bind(2, h.lease_no).Bind(3, h.attempts_made + 1).Bind(4, h.started_at).Bind(5, now);
  s.Bind(6, static_cast<int64_t>(o)).BindTextOrNull(7, msg).BindTextOrNull(8, stack).BindTextOrNull(9, h.worker);
  return Poison(s.Run());
}

Result<AttemptEnd> SqliteStore::Complete(const CompleteSpec& spec, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(Held h, FindHeld(spec.queue, spec.id, spec.token));
  CRONQ_RETURN_IF_ERROR(Apply(JobState::kActive, Event::kComplete).status());
  CRONQ_ASSIGN_OR_RETURN(
      Stmt u, db_->Prepare("UPDATE jobs SET state = 3, attempts_made = attempts_made + 1, token = NULL, "
                           "lease_expires = NULL, finished_at = ?2, result = ?3 WHERE seq = ?1"));
  CRONQ_RETURN_IF_ERROR(Poison(u.Bind(1, h.seq).Bind(2, now).BindTextOrNull(3, spec.result).Run()));
  CRONQ_RETURN_IF_ERROR(EndAttempt(h, Outcome::kCompleted, now, {}, {}));
  CRONQ_RETURN_IF_ERROR(Move(spec.queue, JobState::kActive, JobState::kCompleted));
  if (!h.sched.empty()) CRONQ_RETURN_IF_ERROR(SettleSlot(h.sched, h.sched_due, SlotStatus::kCompleted, {}));
  CRONQ_RETURN_IF_ERROR(Retain(spec.queue, h.seq, JobState::kCompleted, h.keep_complete, now));
  return AttemptEnd{spec.queue, spec.id, h.name, h.attempts_made + 1, Outcome::kCompleted,
                    JobState::kCompleted, h.started_at, now, {}};
}

Result<AttemptEnd> SqliteStore::Fail(const FailSpec& spec, TimeMs now, double unit) {
  CRONQ_ASSIGN_OR_RETURN(Held h, FindHeld(spec.queue, spec.id, spec.token));
  return EndBadly(spec.queue, h, spec.timed_out ? Outcome::kTimeout : Outcome::kFailed, spec.message, spec.stack,
                  spec.unrecoverable, now, unit, spec.retry_delay);
}

// A failure or a timeout: count the attempt, then retry or fail for good.
Result<AttemptEnd> SqliteStore::EndBadly(std::string_view queue, const Held& h, Outcome o, std::string_view msg,
                                         std::string_view stack, bool unrecoverable, TimeMs now, double unit,
                                         std::optional<Millis> retry_delay) {
  JobOptions opts;
  opts.attempts = h.attempts_max;
  opts.backoff = DecodeBackoff(h.backoff);
  const int made = h.attempts_made + 1;
  FailureDecision d = DecideAfterFailure(opts, made, unrecoverable, now, unit, retry_delay);
  CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(JobState::kActive, d.event));
  CRONQ_ASSIGN_OR_RETURN(
      Stmt u, db_->Prepare("UPDATE jobs SET state = ?2, attempts_made = ?3, token = NULL, lease_expires = NULL, "
                           "run_at = ?4, finished_at = ?5, failed_reason = ?6, stacktrace = ?7 WHERE seq = ?1"));
  u.Bind(1, h.seq).Bind(2, static_cast<int64_t>(to)).Bind(3, made);
  u.BindOpt(4, to == JobState::kDelayed ? std::optional<int64_t>(d.run_at) : std::nullopt);
  u.BindOpt(5, to == JobState::kFailed ? std::optional<int64_t>(now) : std::nullopt);
  u.BindTextOrNull(6, msg).BindTextOrNull(7, stack);
  CRONQ_RETURN_IF_ERROR(Poison(u.Run()));
  CRONQ_RETURN_IF_ERROR(EndAttempt(h, o, now, msg, stack));
  CRONQ_RETURN_IF_ERROR(Move(queue, JobState::kActive, to));
  if (to == JobState::kFailed) {
    if (!h.sched.empty()) CRONQ_RETURN_IF_ERROR(SettleSlot(h.sched, h.sched_due, SlotStatus::kFailed, {}));
    CRONQ_RETURN_IF_ERROR(Retain(queue, h.seq, to, h.keep_fail, now));
  }
  return AttemptEnd{std::string(queue), h.id, h.name, made, o, to, h.started_at, now, std::string(msg)};
}

// The lease ran out without an acknowledgement: requeue or fail, not counted as an attempt.
Result<AttemptEnd> SqliteStore::EndStalled(std::string_view queue, const Held& h, TimeMs now) {
  JobOptions opts;
  opts.max_stalls = h.max_stalls;
  const int stalls = h.stalls + 1;
  Event e = DecideAfterStall(opts, stalls);
  CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(JobState::kActive, e));
  const std::string msg = to == JobState::kFailed ? "job stalled more than the allowed " +
                                                        std::to_string(h.max_stalls) + " times"
                                                  : "lease expired: worker stopped heartbeating";
  CRONQ_ASSIGN_OR_RETURN(
      Stmt u, db_->Prepare("UPDATE jobs SET state = ?2, stalls = ?3, token = NULL, lease_expires = NULL, "
                           "finished_at = ?4, failed_reason = COALESCE(?5, failed_reason) WHERE seq = ?1"));
  u.Bind(1, h.seq).Bind(2, static_cast<int64_t>(to)).Bind(3, stalls);
  u.BindOpt(4, to == JobState::kFailed ? std::optional<int64_t>(now) : std::nullopt);
  if (to == JobState::kFailed) u.Bind(5, msg); else u.BindNull(5);
  CRONQ_RETURN_IF_ERROR(Poison(u.Run()));
  CRONQ_RETURN_IF_ERROR(EndAttempt(h, Outcome::kStalled, now, msg, {}));
  CRONQ_RETURN_IF_ERROR(Move(queue, JobState::kActive, to));
  if (to == JobState::kFailed) {
    if (!h.sched.empty()) CRONQ_RETURN_IF_ERROR(SettleSlot(h.sched, h.sched_due, SlotStatus::kFailed, {}));
    CRONQ_RETURN_IF_ERROR(Retain(queue, h.seq, to, h.keep_fail, now));
  }
  return AttemptEnd{std::string(queue), h.id, h.name, h.attempts_made + 1, Outcome::kStalled, to, h.started_at, now,
                    msg};
}

// ---- retention ------------------------------------------------------------

Status SqliteStore::Retain(std::string_view queue, int64_t seq, JobState state, std::string_view keep, TimeMs now) {
  Retention r = DecodeRetention(keep);
  if (r.remove_now) {
    CRONQ_RETURN_IF_ERROR(DeleteJob(seq));
    count_deltas_[{std::string(queue), static_cast<int>(state)}] -= 1;
    return Status::Ok();
  }
  if (r.age >= 0) {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE jobs SET expire_at = ?2 WHERE seq = ?1"));
    CRONQ_RETURN_IF_ERROR(Poison(s.Bind(1, seq).Bind(2, now + r.age).Run()));
  }
  if (r.count >= 0) {  // several counts in one batch: keep the most any job asked for
    auto [it, fresh] = trims_.try_emplace({std::string(queue), static_cast<int>(state)}, r.count);
    if (!fresh) it->second = std::max(it->second, r.count);
  }
  return Status::Ok();
}

Status SqliteStore::DeleteJob(int64_t seq) {
  static const char* const kDeletes[] = {"DELETE FROM jobs WHERE seq = ?1", "DELETE FROM attempts WHERE job_seq = ?1",
                                         "DELETE FROM job_logs WHERE job_seq = ?1"};
  for (const char* sql : kDeletes) {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
    CRONQ_RETURN_IF_ERROR(Poison(s.Bind(1, seq).Run()));
  }
  return Status::Ok();
}

// Keeps the newest `count` finished jobs per (queue, state) touched in this batch.
Status SqliteStore::RunTrims() {
  for (const auto& [key, keep] : trims_) {
    std::vector<int64_t> doomed;
    {
      CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT seq FROM jobs WHERE queue = ?1 AND state = ?2 "
                                                  "ORDER BY seq DESC LIMIT -1 OFFSET ?3"));
      s.Bind(1, key.first).Bind(2, key.second).Bind(3, keep);
      while (s.Step()) doomed.push_back(s.Int(0));
      CRONQ_RETURN_IF_ERROR(s.status());
    }
    for (int64_t seq : doomed) CRONQ_RETURN_IF_ERROR(DeleteJob(seq));
    count_deltas_[key] -= static_cast<int64_t>(doomed.size());
  }
  trims_.clear();
  return Status::Ok();
}

}  // namespace sqlite
}  // namespace cronq
