// SQLite backend: schedules and their slot history.
//
// Exactly once per slot: the slot row's primary key is (schedule, due_at), and a
// fired slot's job is inserted in the same transaction as the slot row, so a
// restart, a second upsert or another engine pass can never fire a slot twice.
#include <algorithm>
#include <cstdio>

#include "storage/encoding.h"
#include "storage/sqlite_store_impl.h"

namespace cronq::sqlite {
namespace {

constexpr int kSlotHistory = 1000;  // slots kept per schedule
constexpr int kTrimEvery = 64;      // claims between trims of a schedule's history

#define CRONQ_SCHEDULE_COLUMNS                                                                        \
  "name, expr, tz, queue, job_name, job_data, job_opts, missed, max_runs, within_ms, overlap, grace_ms, " \
  "start_at, end_at, paused, next_due, last_queue, last_id, created_at, updated_at"

ScheduleState ReadSchedule(const Stmt& s) {
  ScheduleState st;
  ScheduleDef& d = st.def;
  d.name = s.Text(0);
  d.expr = s.Text(1);
  d.tz = s.Text(2);
  d.queue = s.Text(3);
  d.job.name = s.Text(4);
  d.job.data = s.Text(5);
  DecodeJobOptions(s.Text(6), d.job);
  d.policy.missed = static_cast<MissedPolicy>(s.Int(7));
  d.policy.max_runs = static_cast<int>(s.Int(8));
  d.policy.within = s.Int(9);
  d.policy.overlap = static_cast<OverlapPolicy>(s.Int(10));
  d.policy.grace = s.Int(11);
  d.policy.start_at = s.IsNull(12) ? 0 : s.Int(12);
  d.policy.end_at = s.IsNull(13) ? 0 : s.Int(13);
  d.paused = s.Int(14) != 0;
  if (!s.IsNull(15)) st.next_due = s.Int(15);
  st.last_queue = s.Text(16);
  st.last_id = s.Text(17);
  st.created_at = s.Int(18);
  st.updated_at = s.Int(19);
  return st;
}

}  // namespace

// "a=3;p=1;d=0;t=0;s=1;b=<backoff>;c=<retention>;f=<retention>", and in schedules
// ";u=ab" naming the options left to the queue's defaults (see ReadSchedule).
std::string EncodeOptions(const JobOptions& o) {
  std::string out = "a=" + std::to_string(o.attempts) + ";p=" + std::to_string(o.priority) +
                    ";d=" + std::to_string(o.delay) + ";t=" + std::to_string(o.timeout) +
                    ";s=" + std::to_string(o.max_stalls);
  if (o.backoff.type != Backoff::Type::kNone) out += ";b=" + EncodeBackoff(o.backoff);
  if (!o.remove_on_complete.keep_all()) out += ";c=" + EncodeRetention(o.remove_on_complete);
  if (!o.remove_on_fail.keep_all()) out += ";f=" + EncodeRetention(o.remove_on_fail);
  return out;
}

std::string UnsetOptions(const NewJob& job) {
  return std::string(job.attempts_set ? "" : "a") + (job.backoff_set ? "" : "b");
}

std::string EncodeJobOptions(const NewJob& job) {
  const std::string unset = UnsetOptions(job);
  return EncodeOptions(job.opts) + (unset.empty() ? "" : ";u=" + unset);
}

void DecodeJobOptions(std::string_view s, NewJob& job) {
  job.opts = DecodeOptions(s);  // skips the u= part
  const size_t u = s.find(";u=");
  const std::string_view unset = u == std::string_view::npos ? std::string_view() : s.substr(u + 3, s.find(';', u + 3) - u - 3);
  job.attempts_set = unset.find('a') == std::string_view::npos;
  job.backoff_set = unset.find('b') == std::string_view::npos;
}

JobOptions DecodeOptions(std::string_view s) {
  JobOptions o;
  while (!s.empty()) {
    size_t end = s.find(';');
    std::string_view part = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
    if (part.size() < 2 || part[1] != '=') continue;
    const std::string v(part.substr(2));
    switch (part[0]) {
      case 'a': o.attempts = std::stoi(v); break;
      case 'p': o.priority = std::stoi(v); break;
      case 'd': o.delay = std::stoll(v); break;
      case 't': o.timeout = std::stoll(v); break;
      case 's': o.max_stalls = std::stoi(v); break;
      case 'b': o.backoff = DecodeBackoff(v); break;
      case 'c': o.remove_on_complete = DecodeRetention(v); break;
      case 'f': o.remove_on_fail = DecodeRetention(v); break;
      default: break;
    }
  }
  return o;
}

Status SqliteStore::PutSchedule(const ScheduleDef& d, std::optional<TimeMs> next_due, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare(
                  "INSERT INTO schedules(" CRONQ_SCHEDULE_COLUMNS
                  ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, NULL, NULL, ?17, ?17) "
                  "ON CONFLICT(name) DO UPDATE SET expr = excluded.expr, tz = excluded.tz, queue = excluded.queue, "
                  "job_name = excluded.job_name, job_data = excluded.job_data, job_opts = excluded.job_opts, "
                  "missed = excluded.missed, max_runs = excluded.max_runs, within_ms = excluded.within_ms, "
                  "overlap = excluded.overlap, grace_ms = excluded.grace_ms, start_at = excluded.start_at, "
                  "end_at = excluded.end_at, paused = excluded.paused, next_due = excluded.next_due, "
                  "updated_at = excluded.updated_at"));
  const std::string opts = EncodeJobOptions(d.job);
  const SchedulePolicy& p = d.policy;
  s.Bind(1, d.name).Bind(2, d.expr).Bind(3, d.tz).Bind(4, d.queue).Bind(5, d.job.name).Bind(6, d.job.data);
  s.Bind(7, opts).Bind(8, static_cast<int64_t>(p.missed)).Bind(9, p.max_runs).Bind(10, p.within);
  s.Bind(11, static_cast<int64_t>(p.overlap)).Bind(12, p.grace);
  s.BindOpt(13, p.start_at ? std::optional<int64_t>(p.start_at) : std::nullopt);
  s.BindOpt(14, p.end_at ? std::optional<int64_t>(p.end_at) : std::nullopt);
  s.Bind(15, d.paused ? 1 : 0).BindOpt(16, next_due).Bind(17, now);
  return Poison(s.Run());
}

Result<std::vector<ScheduleState>> SqliteStore::ReadSchedules(const char* sql, std::string_view name, TimeMs now,
                                                              int limit, TimeMs ahead_until) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  if (!name.empty()) s.Bind(1, name);
  else s.Bind(1, now).Bind(2, limit).Bind(3, std::max(now, ahead_until));
  std::vector<ScheduleState> out;
  while (s.Step()) out.push_back(ReadSchedule(s));
  CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  return out;
}

Result<ScheduleState> SqliteStore::GetSchedule(std::string_view name) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<ScheduleState> one,
                         ReadSchedules("SELECT " CRONQ_SCHEDULE_COLUMNS " FROM schedules WHERE name = ?1", name, 0, 0));
  if (one.empty()) return Status::NotFound("schedule " + std::string(name) + " does not exist");
  return std::move(one.front());
}

Result<std::vector<ScheduleState>> SqliteStore::ListSchedules() {
  return ReadSchedules("SELECT " CRONQ_SCHEDULE_COLUMNS " FROM schedules WHERE ?1 >= 0 AND ?3 >= 0 ORDER BY name LIMIT ?2",
                       {}, 0, 1'000'000);
}

// The explicit bound next_due <= ?3 keeps the scan of schedules_due to the range.
Result<std::vector<ScheduleState>> SqliteStore::DueSchedules(TimeMs now, TimeMs ahead_until, int limit) {
  return ReadSchedules("SELECT " CRONQ_SCHEDULE_COLUMNS " FROM schedules WHERE paused = 0 AND next_due IS NOT NULL "
                       "AND next_due <= ?3 AND (next_due <= ?1 OR overlap = 0) ORDER BY next_due LIMIT ?2",
                       {}, now, limit, ahead_until);
}

Status SqliteStore::DeleteSchedule(std::string_view name) {
  CRONQ_RETURN_IF_ERROR(GetSchedule(name).status());
  for (const char* sql : {"DELETE FROM schedules WHERE name = ?1", "DELETE FROM schedule_slots WHERE schedule = ?1"}) {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
    CRONQ_RETURN_IF_ERROR(Poison(s.Bind(1, name).Run()));
  }
  return Status::Ok();
}

Status SqliteStore::SetSchedulePaused(std::string_view name, bool paused, std::optional<TimeMs> next_due, TimeMs now) {
  CRONQ_RETURN_IF_ERROR(GetSchedule(name).status());
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE schedules SET paused = ?2, next_due = ?3, updated_at = ?4 "
                                              "WHERE name = ?1"));
  return Poison(s.Bind(1, name).Bind(2, paused ? 1 : 0).BindOpt(3, next_due).Bind(4, now).Run());
}

Status SqliteStore::AdvanceSchedule(std::string_view name, std::optional<TimeMs> next_due) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE schedules SET next_due = ?2 WHERE name = ?1"));
  return Poison(s.Bind(1, name).BindOpt(2, next_due).Run());
}

Result<SlotClaim> SqliteStore::ClaimSlot(std::string_view name, TimeMs due, SlotStatus status, const NewJob* job,
                                         std::string_view queue, std::string_view note, TimeMs now, TimeMs ready_at) {
  SlotClaim out;
  const TimeMs handled = std::max(now, ready_at);
  {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("INSERT OR IGNORE INTO schedule_slots(schedule, due_at, handled_at, "
                                                "status, note, claimed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    s.Bind(1, name).Bind(2, due).Bind(3, handled).Bind(4, static_cast<int64_t>(status)).BindTextOrNull(5, note);
    s.BindOpt(6, handled > now ? std::optional<int64_t>(now) : std::nullopt);
    CRONQ_RETURN_IF_ERROR(Poison(s.Run()));
    if (db_->Changes() == 0) return out;  // handled before: exactly once
  }
  out.claimed = true;
  if (status == SlotStatus::kFired && job) {
    CRONQ_ASSIGN_OR_RETURN(EnqueueResult r, Insert(queue, *job, now, name, due, ready_at));
    out.job_id = r.id;
    out.job_state = r.state;
    CRONQ_ASSIGN_OR_RETURN(Stmt l, db_->Prepare("UPDATE schedule_slots SET job_queue = ?3, job_id = ?4 "
                                                "WHERE schedule = ?1 AND due_at = ?2"));
    CRONQ_RETURN_IF_ERROR(Poison(l.Bind(1, name).Bind(2, due).Bind(3, queue).Bind(4, r.id).Run()));
    CRONQ_ASSIGN_OR_RETURN(Stmt u, db_->Prepare("UPDATE schedules SET last_queue = ?2, last_id = ?3 WHERE name = ?1"));
    CRONQ_RETURN_IF_ERROR(Poison(u.Bind(1, name).Bind(2, queue).Bind(3, r.id).Run()));
  }
  if (++slot_claims_[std::string(name)] >= kTrimEvery) {
    slot_claims_[std::string(name)] = 0;
    CRONQ_ASSIGN_OR_RETURN(
        Stmt t, db_->Prepare("DELETE FROM schedule_slots WHERE schedule = ?1 AND due_at < (SELECT due_at FROM "
                             "schedule_slots WHERE schedule = ?1 ORDER BY due_at DESC LIMIT 1 OFFSET ?2)"));
    CRONQ_RETURN_IF_ERROR(Poison(t.Bind(1, name).Bind(2, kSlotHistory - 1).Run()));
  }
  return out;
}

Result<std::vector<TimeMs>> SqliteStore::WithdrawSlots(std::string_view name, TimeMs now) {
  struct Ahead {
    TimeMs due;
    std::string queue, id;
  };
  std::vector<Ahead> ahead;
  {
    CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT due_at, job_queue, job_id FROM schedule_slots WHERE "
                                                "schedule = ?1 AND due_at > ?2 AND status = 0 AND job_id IS NOT NULL "
                                                "ORDER BY due_at"));
    s.Bind(1, name).Bind(2, now);
    while (s.Step()) ahead.push_back(Ahead{s.Int(0), s.Text(1), s.Text(2)});
    CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  }
  std::vector<TimeMs> out;
  for (const Ahead& a : ahead) {
    Result<JobRef> job = FindJob(a.queue, a.id);
    if (!job.ok() && !job.status().IsNotFound()) return Poison(job.status());
    if (!job.ok() || job->state != JobState::kDelayed) continue;  // promoted by an operator: it runs
    CRONQ_RETURN_IF_ERROR(DeleteJob(job->seq));
    count_deltas_[{a.queue, static_cast<int>(JobState::kDelayed)}] -= 1;
    CRONQ_ASSIGN_OR_RETURN(Stmt d, db_->Prepare("DELETE FROM schedule_slots WHERE schedule = ?1 AND due_at = ?2"));
    CRONQ_RETURN_IF_ERROR(Poison(d.Bind(1, name).Bind(2, a.due).Run()));
    out.push_back(a.due);
  }
  if (!out.empty()) {
    CRONQ_ASSIGN_OR_RETURN(
        Stmt u, db_->Prepare("UPDATE schedules SET (last_queue, last_id) = (SELECT job_queue, job_id FROM "
                             "schedule_slots WHERE schedule = ?1 AND job_id IS NOT NULL ORDER BY due_at DESC "
                             "LIMIT 1) WHERE name = ?1"));
    CRONQ_RETURN_IF_ERROR(Poison(u.Bind(1, name).Run()));
  }
  return out;
}

Status SqliteStore::SettleSlot(std::string_view sched, TimeMs due, SlotStatus status, std::string_view note) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("UPDATE schedule_slots SET status = ?3, note = COALESCE(?4, note) "
                                              "WHERE schedule = ?1 AND due_at = ?2 AND status = 0"));
  return Poison(s.Bind(1, sched).Bind(2, due).Bind(3, static_cast<int64_t>(status)).BindTextOrNull(4, note).Run());
}

Result<std::vector<SlotRecord>> SqliteStore::ListSlots(std::string_view name, int limit) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT due_at, handled_at, status, job_queue, job_id, note, "
                                              "COALESCE(claimed_at, handled_at) FROM schedule_slots WHERE "
                                              "schedule = ?1 ORDER BY due_at DESC LIMIT ?2"));
  s.Bind(1, name).Bind(2, limit);
  std::vector<SlotRecord> out;
  while (s.Step()) {
    SlotRecord r;
    r.schedule = std::string(name);
    r.due_at = s.Int(0);
    r.handled_at = s.Int(1);
    r.status = static_cast<SlotStatus>(s.Int(2));
    r.job_queue = s.Text(3);
    r.job_id = s.Text(4);
    r.note = s.Text(5);
    r.claimed_at = s.Int(6);
    out.push_back(std::move(r));
  }
  CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  return out;
}

}  // namespace cronq::sqlite
