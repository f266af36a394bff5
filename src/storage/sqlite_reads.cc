// SQLite backend: lookups, the due pass (promotions, expired leases, retention),
// operator actions and reads.
#include <charconv>

#include "core/lifecycle.h"
#include "storage/queue_config_codec.h"
#include "storage/sqlite_store_impl.h"

namespace cronq::sqlite {
namespace {

constexpr int kDueLimit = 5000;  // rows per kind per pass; the engine loops while work is due
// Delayed jobs promoted per pass: many jobs due at one instant (schedules claimed
// ahead) become visible chunk by chunk, each chunk at its own commit, instead of
// all at the commit of one long pass (bench/promote_bench.cc: ~4 us per job).
constexpr int kPromoteLimit = 1000;

// Columns read into a Job, in this order (see ReadJob).
#define CRONQ_JOB_COLUMNS                                                                                  \
  "seq, queue, custom_id, name, data, state, priority, created_at, run_at, attempts_max, attempts_made, "  \
  "stalls, max_stalls, backoff, timeout_ms, keep_complete, keep_fail, lease_expires, started_at, "         \
  "finished_at, worker, progress, result, failed_reason, stacktrace, delay_ms, sched, sched_due"

Job ReadJob(const Stmt& s) {
  Job j;
  j.queue = s.Text(1);
  j.id = JobIdOf(s.Int(0), s.Text(2));
  j.name = s.Text(3);
  j.data = s.Text(4);
  j.state = static_cast<JobState>(s.Int(5));
  j.opts.priority = static_cast<int>(s.Int(6));
  j.created_at = s.Int(7);
  j.run_at = s.IsNull(8) ? 0 : s.Int(8);
  j.opts.attempts = static_cast<int>(s.Int(9));
  j.attempts_made = static_cast<int>(s.Int(10));
  j.stalls = static_cast<int>(s.Int(11));
  j.opts.max_stalls = static_cast<int>(s.Int(12));
  j.opts.backoff = DecodeBackoff(s.Text(13));
  j.opts.timeout = s.IsNull(14) ? 0 : s.Int(14);
  j.opts.remove_on_complete = DecodeRetention(s.Text(15));
  j.opts.remove_on_fail = DecodeRetention(s.Text(16));
  j.lease_expires = s.IsNull(17) ? 0 : s.Int(17);
  j.started_at = s.IsNull(18) ? 0 : s.Int(18);
  j.finished_at = s.IsNull(19) ? 0 : s.Int(19);
  j.worker = s.Text(20);
  j.progress = s.Text(21);
  j.result = s.Text(22);
  j.failed_reason = s.Text(23);
  j.stacktrace = s.Text(24);
  if (!s.IsNull(2)) j.opts.job_id = s.Text(2);
  j.opts.delay = s.IsNull(25) ? 0 : s.Int(25);
  if (!s.IsNull(26)) j.fire_id = FireId(s.Text(26), s.Int(27));
  return j;
}


}  // namespace

// Numeric ids are row numbers; anything else is a caller-chosen jobId.
std::optional<int64_t> NumericId(std::string_view id) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || p != id.data() + id.size() || v <= 0) return std::nullopt;
  return v;
}

Result<JobRef> SqliteStore::FindJob(std::string_view queue, std::string_view id) {
  std::optional<int64_t> seq = NumericId(id);
  const char* sql = seq ? "SELECT seq, state FROM jobs WHERE seq = ?2 AND queue = ?1"
                        : "SELECT seq, state FROM jobs WHERE queue = ?1 AND custom_id = ?2";
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  s.Bind(1, queue);
  if (seq) s.Bind(2, *seq); else s.Bind(2, id);
  if (!s.Step()) {
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
    return Status::NotFound("job " + std::string(id) + " not found in queue " + std::string(queue));
  }
  return JobRef{s.Int(0), static_cast<JobState>(s.Int(1))};
}

// ---- the due pass -----------------------------------------------------------

Result<DueWork> SqliteStore::RunDue(TimeMs now, double unit) {
  DueWork out;
  std::set<std::string> woken;
  {  // delayed -> waiting
    std::vector<std::pair<int64_t, std::string>> due;
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT seq, queue FROM jobs WHERE state = 1 AND run_at <= ?1 "
                                                "ORDER BY run_at LIMIT ?2"));
    s.Bind(1, now).Bind(2, kPromoteLimit);
    while (s.Step()) due.emplace_back(s.Int(0), s.Text(1));
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
    for (auto& [seq, queue] : due) {
      CRONQ_ASSIGN_OR_RETURN(Stmt u, db_->Prepare("UPDATE jobs SET state = 0, run_at = NULL WHERE seq = ?1"));
      CRONQ_RETURN_IF_ERROR(Poison(u.Bind(1, seq).Run()));
      CRONQ_RETURN_IF_ERROR(Move(queue, JobState::kDelayed, JobState::kWaiting));
      woken.insert(queue);
      ++out.promoted;
    }
  }
  {  // expired leases: timeouts count as failed attempts, stalls requeue
    struct Expired {
      std::string queue;
      Held h;
      bool by_timeout;
    };
    std::vector<Expired> expired;
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT queue, lease_by_timeout, " CRONQ_HELD_COLUMNS " FROM jobs "
                                                "WHERE state = 2 AND lease_expires <= ?1 ORDER BY lease_expires LIMIT ?2"));
    s.Bind(1, now).Bind(2, kDueLimit);
    while (s.Step()) expired.push_back(Expired{s.Text(0), ReadHeld(s, 2), s.Int(1) != 0});
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
    for (Expired& e : expired) {
      Result<AttemptEnd> end =
          e.by_timeout ? EndBadly(e.queue, e.h, Outcome::kTimeout,
                                  "attempt timed out after " + std::to_string(e.h.timeout) + " ms", {}, false, now, unit)
                       : EndStalled(e.queue, e.h, now);
      if (!end.ok()) return end.status();
      if (end->state_after == JobState::kWaiting) woken.insert(e.queue);
      out.ended.push_back(std::move(end).value());
    }
  }
  {  // finished jobs past their retention age
    std::vector<std::tuple<int64_t, std::string, int>> old;
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT seq, queue, state FROM jobs WHERE expire_at <= ?1 "
                                                "ORDER BY expire_at LIMIT ?2"));
    s.Bind(1, now).Bind(2, kDueLimit);
    while (s.Step()) old.emplace_back(s.Int(0), s.Text(1), static_cast<int>(s.Int(2)));
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
    for (auto& [seq, queue, state] : old) {
      CRONQ_RETURN_IF_ERROR(DeleteJob(seq));
      count_deltas_[{queue, state}] -= 1;
      ++out.removed;
    }
  }
  out.woken_queues.assign(woken.begin(), woken.end());
  return out;
}

Result<Deadlines> SqliteStore::NextDeadlines() {
  static const char* const kSql[] = {
      "SELECT MIN(run_at) FROM jobs WHERE state = 1",
      "SELECT MIN(lease_expires) FROM jobs WHERE state = 2",
      "SELECT MIN(expire_at) FROM jobs WHERE expire_at IS NOT NULL",
      "SELECT MIN(next_due) FROM schedules WHERE paused = 0 AND next_due IS NOT NULL",
      "SELECT MIN(next_due) FROM schedules WHERE paused = 0 AND next_due IS NOT NULL AND overlap = 0",
  };
  static_assert(std::size(kSql) == std::size(kStoreDeadlines));
  Deadlines d;
  for (size_t i = 0; i < std::size(kSql); ++i) {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(kSql[i]));
    if (s.Step() && !s.IsNull(0)) d.*kStoreDeadlines[i] = s.Int(0);
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  }
  return d;
}

// ---- operators ----------------------------------------------------------------

Status SqliteStore::Retry(std::string_view queue, std::string_view id, TimeMs /*now*/) {
  CRONQ_ASSIGN_OR_RETURN(JobRef ref, FindJob(queue, id));
  CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(ref.state, Event::kOperatorRetry));
  CRONQ_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare("UPDATE jobs SET state = 0, attempts_made = 0, stalls = 0, finished_at = NULL, "
                           "expire_at = NULL, result = NULL, failed_reason = NULL, stacktrace = NULL, progress = NULL, "
                           "worker = NULL WHERE seq = ?1"));
  CRONQ_RETURN_IF_ERROR(Poison(s.Bind(1, ref.seq).Run()));
  return Move(queue, ref.state, to);
}

Status SqliteStore::Promote(std::string_view queue, std::string_view id, TimeMs /*now*/) {
  CRONQ_ASSIGN_OR_RETURN(JobRef ref, FindJob(queue, id));
  CRONQ_ASSIGN_OR_RETURN(JobState to, Apply(ref.state, Event::kPromote));
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE jobs SET state = 0, run_at = NULL WHERE seq = ?1"));
  CRONQ_RETURN_IF_ERROR(Poison(s.Bind(1, ref.seq).Run()));
  return Move(queue, ref.state, to);
}

Status SqliteStore::Remove(std::string_view queue, std::string_view id) {
  CRONQ_ASSIGN_OR_RETURN(JobRef ref, FindJob(queue, id));
  CRONQ_RETURN_IF_ERROR(Apply(ref.state, Event::kRemove).status());
  if (ref.state == JobState::kWaiting || ref.state == JobState::kDelayed) {  // a fired slot that never ran
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT sched, sched_due FROM jobs WHERE seq = ?1 AND sched IS NOT NULL"));
    if (s.Bind(1, ref.seq).Step()) {
      std::string sched = s.Text(0);
      TimeMs due = s.Int(1);
      CRONQ_RETURN_IF_ERROR(SettleSlot(sched, due, SlotStatus::kSkipped, "job removed"));
    }
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  }
  CRONQ_RETURN_IF_ERROR(DeleteJob(ref.seq));
  count_deltas_[{std::string(queue), static_cast<int>(ref.state)}] -= 1;
  return Status::Ok();
}

Status SqliteStore::SetPaused(std::string_view queue, bool paused, TimeMs now) {
  CRONQ_RETURN_IF_ERROR(EnsureQueue(queue, now));
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE queues SET paused = ?2 WHERE name = ?1"));
  return Poison(s.Bind(1, queue).Bind(2, paused ? 1 : 0).Run());
}

Status SqliteStore::SetQueueConfig(std::string_view queue, const QueueConfig& config, TimeMs now) {
  CRONQ_RETURN_IF_ERROR(EnsureQueue(queue, now));
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE queues SET push = ?2, job_defaults = ?3 WHERE name = ?1"));
  const std::string push = config.push ? EncodePushConfig(*config.push) : std::string();
  const std::string defaults = EncodeJobDefaults(config.defaults);  // both outlive Run(): bound, not copied
  s.Bind(1, queue).BindTextOrNull(2, push).BindTextOrNull(3, defaults);
  CRONQ_RETURN_IF_ERROR(Poison(s.Run()));
  batch_defaults_[std::string(queue)] = config.defaults;
  return Status::Ok();
}

Result<std::vector<PushQueue>> SqliteStore::ListPushQueues() {
  std::vector<PushQueue> out;
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT name, push FROM queues WHERE push IS NOT NULL ORDER BY name"));
  while (s.Step()) {
    std::optional<PushConfig> p = DecodePushConfig(s.Text(1));
    if (p) out.push_back(PushQueue{s.Text(0), std::move(*p)});
  }
  CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  return out;
}

// ---- reads ----------------------------------------------------------------------

Result<Job> SqliteStore::GetJob(std::string_view queue, std::string_view id) {
  CRONQ_ASSIGN_OR_RETURN(JobRef ref, FindJob(queue, id));
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT " CRONQ_JOB_COLUMNS " FROM jobs WHERE seq = ?1"));
  if (!s.Bind(1, ref.seq).Step()) return Poison(s.status().ok() ? Status::NotFound("job vanished") : s.status());
  Job job = ReadJob(s);
  CRONQ_ASSIGN_OR_RETURN(Stmt a, db_->Prepare("SELECT attempt, started_at, ended_at, outcome, error_message, "
                                              "error_stack, worker FROM attempts WHERE job_seq = ?1 ORDER BY lease_no"));
  a.Bind(1, ref.seq);
  while (a.Step()) {
    Attempt at;
    at.n = static_cast<int>(a.Int(0));
    at.started_at = a.Int(1);
    at.ended_at = a.IsNull(2) ? 0 : a.Int(2);
    at.outcome = static_cast<Outcome>(a.Int(3));
    at.error_message = a.Text(4);
    at.error_stack = a.Text(5);
    at.worker = a.Text(6);
    if (at.outcome == Outcome::kRunning) continue;  // older files: the job row tells the running one
    job.attempts.push_back(std::move(at));
  }
  CRONQ_RETURN_IF_ERROR(Poison(a.status()));
  if (job.state == JobState::kActive) {  // the attempt under way is kept in the job row
    Attempt running;
    running.n = job.attempts_made + 1;
    running.started_at = job.started_at;
    running.worker = job.worker;
    job.attempts.push_back(std::move(running));
  }
  CRONQ_ASSIGN_OR_RETURN(Stmt l, db_->Prepare("SELECT at, line FROM job_logs WHERE job_seq = ?1 ORDER BY id"));
  l.Bind(1, ref.seq);
  while (l.Step()) job.logs.push_back(LogLine{l.Int(0), l.Text(1)});
  CRONQ_RETURN_IF_ERROR(Poison(l.status()));
  return job;
}

Result<JobPage> SqliteStore::ListJobs(std::string_view queue, const JobQuery& q) {
  int64_t before = INT64_MAX;
  if (!q.cursor.empty()) {
    std::optional<int64_t> c = NumericId(q.cursor);
    if (!c) return Status::InvalidArgument("bad cursor");
    before = *c;
  }
  std::string like;
  if (!q.text.empty()) {  // a substring match: % and _ in the text are literal
    like = "%";
    for (char ch : q.text) {
      if (ch == '%' || ch == '_' || ch == '\\') like += '\\';
      like += ch;
    }
    like += "%";
  }
  // Two statements so that a state filter uses the (queue, state, seq) index.
#define CRONQ_LIST_FILTERS                                                                                 \
  "AND seq < ?3 AND (?4 IS NULL OR name LIKE ?4 ESCAPE '\\' OR custom_id LIKE ?4 ESCAPE '\\' "               \
  "OR failed_reason LIKE ?4 ESCAPE '\\' "             \
  "OR CAST(seq AS TEXT) = ?5) AND (?6 = 0 OR created_at >= ?6) AND (?7 = 0 OR created_at < ?7) "            \
  "ORDER BY seq DESC LIMIT ?8"
  const char* sql = q.state ? "SELECT " CRONQ_JOB_COLUMNS " FROM jobs WHERE queue = ?1 AND state = ?2 " CRONQ_LIST_FILTERS
                            : "SELECT " CRONQ_JOB_COLUMNS " FROM jobs WHERE queue = ?1 AND ?2 < 0 " CRONQ_LIST_FILTERS;
#undef CRONQ_LIST_FILTERS
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  s.Bind(1, queue).Bind(2, q.state ? static_cast<int64_t>(*q.state) : -1).Bind(3, before);
  s.BindTextOrNull(4, like).Bind(5, q.text).Bind(6, q.from).Bind(7, q.to).Bind(8, q.limit + 1);
  JobPage page;
  int64_t last_seq = 0;
  while (s.Step()) {
    if (static_cast<int>(page.jobs.size()) == q.limit) {
      page.next_cursor = std::to_string(last_seq);
      break;
    }
    last_seq = s.Int(0);
    page.jobs.push_back(ReadJob(s));
  }
  CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  return page;
}

Result<std::vector<QueueInfo>> SqliteStore::ListQueues() {
  CRONQ_RETURN_IF_ERROR(Poison(FlushCounts()));
  std::vector<QueueInfo> out;
  {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT name, paused, push, job_defaults FROM queues ORDER BY name"));
    while (s.Step()) {
      QueueInfo qi;
      qi.name = s.Text(0);
      qi.paused = s.Int(1) != 0;
      if (!s.IsNull(2)) qi.config.push = DecodePushConfig(s.Text(2));
      if (!s.IsNull(3)) qi.config.defaults = DecodeJobDefaults(s.Text(3));
      out.push_back(std::move(qi));
    }
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  }
  for (QueueInfo& qi : out) {
    CRONQ_ASSIGN_OR_RETURN(Stmt c, db_->Prepare("SELECT state, n FROM queue_counts WHERE queue = ?1"));
    c.Bind(1, qi.name);
    while (c.Step()) {
      int st = static_cast<int>(c.Int(0));
      if (st >= 0 && st < kJobStateCount) qi.counts[st] = c.Int(1);
    }
    CRONQ_RETURN_IF_ERROR(Poison(c.status()));
    CRONQ_ASSIGN_OR_RETURN(Stmt o, db_->Prepare("SELECT created_at FROM jobs WHERE queue = ?1 AND state = 0 "
                                                "ORDER BY seq LIMIT 1"));
    if (o.Bind(1, qi.name).Step()) qi.oldest_waiting = o.Int(0);
    CRONQ_RETURN_IF_ERROR(Poison(o.status()));
  }
  return out;
}

Result<QueueInfo> SqliteStore::GetQueue(std::string_view queue) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<QueueInfo> all, ListQueues());
  for (QueueInfo& qi : all)
    if (qi.name == queue) return std::move(qi);
  return Status::NotFound("queue " + std::string(queue) + " does not exist");
}

}  // namespace cronq::sqlite
