// Schema and numbered migrations for the SQLite backend.
//
// Procedure for a format change (docs/storage-format.md): append a migration to
// kMigrations (never edit a shipped one), keep the reader able to open every
// earlier version by migrating forward inside one transaction, and add a test that
// opens a database written at the previous version.
#include "storage/sqlite_schema.h"

#include <string>

namespace cronq::sqlite {
namespace {

// kMigrations[i] upgrades a database from version i to version i+1.
const char* const kMigrations[] = {
    // 0 -> 1: queues, jobs, attempts, logs, per-state counts.
    R"sql(
CREATE TABLE queues (
  name TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE queue_counts (
  queue TEXT NOT NULL,
  state INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, state)
) WITHOUT ROWID;

CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  custom_id TEXT,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  state INTEGER NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  run_at INTEGER,
  delay_ms INTEGER,
  attempts_max INTEGER NOT NULL DEFAULT 1,
  attempts_made INTEGER NOT NULL DEFAULT 0,
  stalls INTEGER NOT NULL DEFAULT 0,
  max_stalls INTEGER NOT NULL DEFAULT 1,
  backoff TEXT,
  timeout_ms INTEGER,
  keep_complete TEXT,
  keep_fail TEXT,
  lease_no INTEGER NOT NULL DEFAULT 0,
  token TEXT,
  lease_expires INTEGER,
  lease_by_timeout INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  expire_at INTEGER,
  worker TEXT,
  progress TEXT,
  result TEXT,
  failed_reason TEXT,
  stacktrace TEXT
);
CREATE UNIQUE INDEX jobs_custom_id ON jobs(queue, custom_id) WHERE custom_id IS NOT NULL;
CREATE INDEX jobs_waiting ON jobs(queue, priority, seq) WHERE state = 0;
CREATE INDEX jobs_delayed ON jobs(run_at) WHERE state = 1;
CREATE INDEX jobs_active ON jobs(lease_expires) WHERE state = 2;
CREATE INDEX jobs_expire ON jobs(expire_at) WHERE expire_at IS NOT NULL;
CREATE INDEX jobs_by_state ON jobs(queue, state, seq);

CREATE TABLE attempts (
  job_seq INTEGER NOT NULL,
  lease_no INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome INTEGER NOT NULL,
  error_message TEXT,
  error_stack TEXT,
  worker TEXT,
  PRIMARY KEY (job_seq, lease_no)
) WITHOUT ROWID;

CREATE TABLE job_logs (
  id INTEGER PRIMARY KEY,
  job_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX job_logs_job ON job_logs(job_seq, id);
)sql",
    // 1 -> 2: schedules, their slot history, and the link from a fired job to its slot.
    R"sql(
ALTER TABLE jobs ADD COLUMN sched TEXT;
ALTER TABLE jobs ADD COLUMN sched_due INTEGER;

CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  expr TEXT NOT NULL,
  tz TEXT NOT NULL,
  queue TEXT NOT NULL,
  job_name TEXT NOT NULL,
  job_data TEXT NOT NULL,
  job_opts TEXT,
  missed INTEGER NOT NULL,
  max_runs INTEGER NOT NULL,
  within_ms INTEGER NOT NULL,
  overlap INTEGER NOT NULL,
  grace_ms INTEGER NOT NULL,
  start_at INTEGER,
  end_at INTEGER,
  paused INTEGER NOT NULL DEFAULT 0,
  next_due INTEGER,
  last_queue TEXT,
  last_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX schedules_due ON schedules(next_due) WHERE paused = 0 AND next_due IS NOT NULL;

CREATE TABLE schedule_slots (
  schedule TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  handled_at INTEGER NOT NULL,
  status INTEGER NOT NULL,
  job_queue TEXT,
  job_id TEXT,
  note TEXT,
  PRIMARY KEY (schedule, due_at)
) WITHOUT ROWID;
)sql",
    // 2 -> 3: the audit log of operator actions.
    R"sql(
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  scope TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT
);
)sql",
    // 3 -> 4: queue configuration: push target and job defaults (JSON text, see
    // storage/queue_config_codec.h); NULL for a pull queue / no defaults.
    R"sql(
ALTER TABLE queues ADD COLUMN push TEXT;
ALTER TABLE queues ADD COLUMN job_defaults TEXT;
)sql",
    // 4 -> 5: slots claimed ahead of their due instant (their job enqueued delayed
    // until due): when the slot was claimed (NULL: at handled_at, as every slot
    // before), and the index that finds the schedules that may be claimed ahead.
    R"sql(
ALTER TABLE schedule_slots ADD COLUMN claimed_at INTEGER;
CREATE INDEX schedules_ahead ON schedules(next_due) WHERE paused = 0 AND next_due IS NOT NULL AND overlap = 0;
)sql",
    // 5 -> 6: a queue's delayed jobs in due order, so that a fetch leases the ones
    // already due without waiting for the due pass to promote them.
    R"sql(
CREATE INDEX jobs_due ON jobs(queue, run_at) WHERE state = 1;
)sql",
    // 6 -> 7: dashboard login sessions, kept in the store instead of one
    // process's memory (they survive a restart).
    R"sql(
CREATE TABLE ui_sessions (
  key TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ui_sessions_expires ON ui_sessions(expires);
)sql",
};

constexpr int kVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

Result<int> ReadVersion(Db& db) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db.Prepare("PRAGMA user_version"));
  if (!s.Step()) return s.status().ok() ? Status::Internal("no user_version") : s.status();
  return static_cast<int>(s.Int(0));
}

}  // namespace

int SchemaVersion() { return kVersion; }

Status Migrate(Db& db, int target) {
  CRONQ_ASSIGN_OR_RETURN(int version, ReadVersion(db));
  if (version > kVersion) {
    return Status::Unavailable("database schema version " + std::to_string(version) +
                               " is newer than this cronq understands (" + std::to_string(kVersion) +
                               "): upgrade cronq");
  }
  if (target > kVersion) target = kVersion;
  if (version >= target) return Status::Ok();
  CRONQ_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  for (int v = version; v < target; ++v) {
    Status st = db.Exec(kMigrations[v]);
    if (!st.ok()) {
      (void)db.Exec("ROLLBACK");
      return Status::Internal("migration " + std::to_string(v) + " -> " + std::to_string(v + 1) +
                              " failed: " + st.message());
    }
  }
  Status st = db.Exec("PRAGMA user_version = " + std::to_string(target));
  if (st.ok()) st = db.Exec("COMMIT");
  if (!st.ok()) (void)db.Exec("ROLLBACK");
  return st;
}

}  // namespace cronq::sqlite
