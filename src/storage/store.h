// Store: durable state of queues and jobs, in domain terms.
//
// The engine is the only caller, from one thread. It groups many operations into
// one batch: Begin(), any number of operations, then Commit(), which is durable
// (fsync'd) when it returns OK. Operations see the effects of earlier ones in the
// same batch. If Commit() fails, or the engine calls Rollback(), none of the
// batch's effects remain. An operation that returns an error has changed nothing.
//
// Every backend runs the same conformance suite (tests/conformance/) and decides
// state transitions through core/lifecycle.h and core/backoff.h, so behaviour is
// identical whatever the backend. Nothing here speaks SQL or Redis.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/planner.h"
#include "core/queue_config.h"
#include "core/schedule.h"
#include "core/limits.h"
#include "core/status.h"

namespace cronq {

struct EnqueueResult {
  std::string id;
  bool duplicate = false;  // a job with this jobId existed: `id` is that job's
  JobState state = JobState::kWaiting;
};

struct FetchSpec {
  std::string queue;
  int max = 1;
  Millis lock_ms = limits::kLockDefault;
  std::string worker;  // free text naming the worker, kept with the attempt
  // True only for cronq's own push deliverer: a push queue's jobs are leased by it
  // alone, LeaseNext answers anyone else Conflict there, and it leases nothing
  // from a queue that is not (or no longer) a push queue.
  bool push = false;
  // When > 0: a cap on the queue's active jobs in the store, counted across every
  // process that shares it. LeaseNext leases at most max_active minus the jobs
  // active now (nothing at or over the cap). Push queues' concurrency on Redis.
  int max_active = 0;
  // When max > 0: at most rate.max leases of this queue start in any window of
  // rate.per ms, counted across every process that shares the store (the leases
  // of a rolled-back batch do not count). Push queues' rate limit on Redis.
  RateLimit rate{};
};

struct CompleteSpec {
  std::string queue, id, token;
  std::string result;  // JSON text, may be empty
};

struct FailSpec {
  std::string queue, id, token;
  std::string message, stack;
  bool unrecoverable = false;
  // The attempt ran out of time (recorded as outcome `timeout`, not `failed`).
  bool timed_out = false;
  // The retry waits exactly this long instead of the backoff (e.g. an app's
  // Retry-After). Ignored when no attempt is left.
  std::optional<Millis> retry_delay = std::nullopt;
};

struct ExtendSpec {
  std::string queue, id, token;
  Millis lock_ms = limits::kLockDefault;
  std::optional<std::string> progress;  // JSON text
  std::vector<std::string> logs;
};

// One attempt that ended: what the engine logs and counts.
struct AttemptEnd {
  std::string queue, id, name;
  int attempt = 0;
  Outcome outcome = Outcome::kCompleted;
  JobState state_after = JobState::kCompleted;
  TimeMs started_at = 0, ended_at = 0;
  std::string error;
};

// What a RunDue pass did.
struct DueWork {
  std::vector<std::string> woken_queues;  // queues that got new waiting jobs
  std::vector<AttemptEnd> ended;          // stalls and timeouts
  int promoted = 0;
  int removed = 0;  // finished jobs deleted by age
};

struct QueueInfo {
  std::string name;
  bool paused = false;
  std::array<int64_t, kJobStateCount> counts{};  // indexed by JobState
  TimeMs oldest_waiting = 0;                      // created_at of the oldest waiting job; 0: none
  QueueConfig config;
};

// A push queue as the deliverer needs it.
struct PushQueue {
  std::string name;
  PushConfig push;
};

struct JobQuery {
  std::optional<JobState> state;
  std::string text;    // matches id, name or error message (substring, case-insensitive)
  TimeMs from = 0;     // created at or after; 0: no bound
  TimeMs to = 0;       // created before; 0: no bound
  int limit = 50;
  std::string cursor;  // from a previous JobPage; empty: newest first
};

struct JobPage {
  std::vector<Job> jobs;  // newest first; attempts and logs not filled
  std::string next_cursor;  // empty when there is no more
};

// A schedule as defined by its owner.
struct ScheduleDef {
  std::string name;
  std::string expr;  // cron expression
  std::string tz = "UTC";
  std::string queue;  // target: the queue that each fire enqueues into
  NewJob job;         // target: the job each fire enqueues (opts.job_id unused)
  SchedulePolicy policy;
  bool paused = false;
  bool paused_given = true;  // false: an upsert keeps the stored schedule's paused state
};

struct ScheduleState {
  ScheduleDef def;
  std::optional<TimeMs> next_due;  // nullopt: never fires again (or paused past its end)
  std::string last_queue, last_id;  // the job of the latest fired slot
  TimeMs created_at = 0, updated_at = 0;
};

// What became of one slot. Stored as these integers: never renumber.
enum class SlotStatus : int {
  kFired = 0,      // a job was enqueued and has not finished yet
  kCompleted = 1,  // that job completed
  kFailed = 2,     // that job failed for good
  kSkipped = 3,    // not fired: overlap policy, or its job was removed
  kMissed = 4,     // not fired: cronq was down or behind and the missed-run policy said so
};
std::string_view SlotStatusName(SlotStatus s);

struct SlotRecord {
  std::string schedule;
  TimeMs due_at = 0;
  // When the slot counts as handled: for a slot claimed ahead of its due instant
  // (its job enqueued delayed until due_at) the due instant itself; otherwise
  // when cronq fired or recorded it. handled_at - due_at is the slot's lateness.
  TimeMs handled_at = 0;
  TimeMs claimed_at = 0;  // when the slot was claimed (written); before due_at for a slot claimed ahead
  SlotStatus status = SlotStatus::kFired;
  std::string job_queue, job_id;
  std::string note;  // "manual", "overlap", "replaced", ...
};

struct SlotClaim {
  bool claimed = false;  // false: this slot had been handled already (by a replica or before a restart)
  std::string job_id;
  JobState job_state = JobState::kWaiting;
};

// One operator action, as the audit log keeps it.
struct AuditEntry {
  int64_t seq = 0;     // assigned by the store when appended: increasing, never reused
  TimeMs at = 0;
  std::string actor;   // the token's name
  std::string scope;   // the token's scope ("admin", "producer", ...)
  std::string action;  // "job.retry", "queue.pause", "schedule.trigger", ...
  std::string target;  // what it acted on: "email/42" (queue/job), "email" (queue), "nightly" (schedule)
  std::string detail;  // JSON text with the action's parameters; may be empty
};

// A dashboard login session as a store keeps it.
struct SessionRecord {
  std::string token;       // the API token it was opened with: a hash of its secret
  std::string csrf;        // the token its state-changing requests must carry
  TimeMs expires = 0;      // gone from this instant on
};

struct AuditQuery {
  int limit = 50;
  std::string cursor;  // from a previous AuditPage; empty: newest first
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest first
  std::string next_cursor;          // empty when there is no more
};

// The fire id handed to a scheduled job: "<schedule>@<due, ISO-8601 UTC>".
std::string FireId(std::string_view schedule, TimeMs due);

class Store {
 public:
  virtual ~Store() = default;

  // --- batches -----------------------------------------------------------
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // --- producers ---------------------------------------------------------
  // Adds a job (creating the queue on first use). A jobId already present in the
  // queue returns that job with duplicate = true and changes nothing.
  virtual Result<EnqueueResult> Enqueue(std::string_view queue, const NewJob& job, TimeMs now) = 0;
  // Adds jobs in order, each exactly as Enqueue would (a later jobId duplicate of
  // an earlier one is a duplicate). A backend may send them together (Redis
  // pipelines them); the default calls Enqueue for each.
  virtual Result<std::vector<EnqueueResult>> EnqueueBatch(std::string_view queue, const std::vector<NewJob>& jobs,
                                                          TimeMs now);

  // Adds jobs as EnqueueBatch, then leases for `then` as LeaseNext would (the
  // engine uses it for a fetch parked on the queue). `leased` holds LeaseNext's
  // answer, an error included; an enqueue error is the result itself and leases
  // nothing. Redis sends the two in one pipeline: one round trip instead of two.
  // The default calls the two in turn.
  struct EnqueuedAndLeased {
    std::vector<EnqueueResult> added;
    Result<std::vector<Lease>> leased;
  };
  virtual Result<EnqueuedAndLeased> EnqueueThenLease(std::string_view queue, const std::vector<NewJob>& jobs,
                                                     TimeMs now, const FetchSpec& then);

  // --- workers -----------------------------------------------------------
  // Leases up to spec.max waiting jobs, lowest priority first, FIFO within one
  // priority. A delayed job whose run_at has come counts as waiting whether or not
  // RunDue has promoted it yet (merged by priority and enqueue order; while more
  // are due than spec.max, the earliest due first). A paused queue leases
  // nothing. Each lease has a fresh fencing token.
  // A push queue answers Conflict (and changes nothing) unless spec.push is set;
  // that is the only Conflict LeaseNext returns.
  virtual Result<std::vector<Lease>> LeaseNext(const FetchSpec& spec, TimeMs now) = 0;
  // Heartbeat: extends the lease (never past the attempt's timeout), stores
  // progress and log lines. Returns the new lease expiry. Conflict on a stale token.
  virtual Result<TimeMs> Extend(const ExtendSpec& spec, TimeMs now) = 0;
  virtual Result<AttemptEnd> Complete(const CompleteSpec& spec, TimeMs now) = 0;
  // Completes each lease as Complete would, one result per spec, in order (a
  // stale token fails only its own entry). The default calls Complete for each;
  // Redis pipelines them.
  virtual std::vector<Result<AttemptEnd>> CompleteBatch(const std::vector<CompleteSpec>& specs, TimeMs now);
  // `unit` in [0,1) draws the backoff jitter.
  virtual Result<AttemptEnd> Fail(const FailSpec& spec, TimeMs now, double unit) = 0;

  // --- time --------------------------------------------------------------
  // Promotes due delayed jobs, expires leases (stall or timeout), deletes finished
  // jobs past their retention age. Each kind is bounded per call (promotion to
  // 1,000 jobs, earliest first: many jobs can fall due at one instant, and
  // LeaseNext takes due jobs without waiting for this); NextDeadlines then still
  // shows the rest as due.
  virtual Result<DueWork> RunDue(TimeMs now, double unit) = 0;
  virtual Result<Deadlines> NextDeadlines() = 0;
  // Upkeep that would otherwise lengthen a commit, called outside any batch after
  // the engine has sent a batch's answers, on the engine's own thread. `soon`: a
  // deadline is close, so only upkeep that cannot wait longer should run. SQLite
  // checkpoints its WAL here; the default does nothing.
  virtual void Housekeep(bool soon) { (void)soon; }
  // True if Housekeep(soon) has work to do (cheap: the engine asks after batches
  // that ran on another thread, to wake its own thread for it).
  virtual bool HousekeepingDue(bool soon) const {
    (void)soon;
    return false;
  }

  // --- operators ---------------------------------------------------------
  virtual Status Retry(std::string_view queue, std::string_view id, TimeMs now) = 0;    // failed|completed -> waiting
  virtual Status Promote(std::string_view queue, std::string_view id, TimeMs now) = 0;  // delayed -> waiting
  virtual Status Remove(std::string_view queue, std::string_view id) = 0;               // not active
  virtual Status SetPaused(std::string_view queue, bool paused, TimeMs now) = 0;
  // Creates the queue if it does not exist yet (queues also exist from their first job).
  virtual Status CreateQueue(std::string_view queue, TimeMs now) = 0;
  // Replaces the queue's configuration (push target, job defaults), creating the
  // queue if needed. From then on Enqueue and ClaimSlot apply `config.defaults`
  // (ApplyJobDefaults) to the jobs they add, and LeaseNext serves a push queue to
  // FetchSpec::push fetches only.
  virtual Status SetQueueConfig(std::string_view queue, const QueueConfig& config, TimeMs now) = 0;
  // Every push queue with its target, by name.
  virtual Result<std::vector<PushQueue>> ListPushQueues() = 0;

  // --- schedules -----------------------------------------------------------
  // Creates or replaces a schedule. `next_due` is the slot to handle next.
  virtual Status PutSchedule(const ScheduleDef& def, std::optional<TimeMs> next_due, TimeMs now) = 0;
  virtual Result<ScheduleState> GetSchedule(std::string_view name) = 0;
  virtual Result<std::vector<ScheduleState>> ListSchedules() = 0;
  virtual Status DeleteSchedule(std::string_view name) = 0;  // keeps fired jobs, drops history
  virtual Status SetSchedulePaused(std::string_view name, bool paused, std::optional<TimeMs> next_due, TimeMs now) = 0;
  // Active schedules whose next slot is due at `now`, and those whose slots may be
  // claimed ahead (overlap `allow`) whose next slot is due by `ahead_until`
  // (>= now); earliest next slot first. NextDeadlines' next_schedule and
  // next_schedule_ahead tell when each kind falls due.
  virtual Result<std::vector<ScheduleState>> DueSchedules(TimeMs now, TimeMs ahead_until, int limit) = 0;
  // Handles slot (name, due) exactly once: records it with `status` and, for
  // kFired, enqueues `job` into `queue` carrying the fire id. A slot handled
  // before answers claimed = false and changes nothing. `ready_at` > now claims
  // the slot ahead: the job is enqueued delayed until ready_at (plus the job's
  // own delay) and the slot records handled_at = ready_at, claimed_at = now;
  // otherwise (ready_at <= now) both are `now`.
  virtual Result<SlotClaim> ClaimSlot(std::string_view name, TimeMs due, SlotStatus status, const NewJob* job,
                                      std::string_view queue, std::string_view note, TimeMs now,
                                      TimeMs ready_at) = 0;
  // Takes back the slots of `name` claimed ahead that are still ahead: every
  // slot due after `now` whose job is still delayed loses its job and its slot
  // record, as if it had never been claimed (it can be claimed again). The
  // schedule's latest job (last_queue/last_id) falls back to the newest slot
  // left. Returns the due instants taken back, earliest first; none for an
  // unknown schedule. A slot whose job already left `delayed` stays.
  virtual Result<std::vector<TimeMs>> WithdrawSlots(std::string_view name, TimeMs now) = 0;
  virtual Status AdvanceSchedule(std::string_view name, std::optional<TimeMs> next_due) = 0;
  // The newest slots first.
  virtual Result<std::vector<SlotRecord>> ListSlots(std::string_view name, int limit) = 0;

  // --- audit log -----------------------------------------------------------
  // Appends one operator action; its seq is assigned here. Written in the batch of
  // the action it records, so both are durable together or not at all.
  virtual Status AppendAudit(const AuditEntry& entry) = 0;
  // The newest entries first; a cursor from the previous page continues it.
  virtual Result<AuditPage> ListAudit(const AuditQuery& q) = 0;

  // --- dashboard sessions --------------------------------------------------
  // Kept in the store so that every replica sharing it knows every session.
  // `key` is a hash of the cookie value: the store never holds a usable session
  // id. Put adds or replaces, or with `only_existing` replaces a session still
  // there and else does nothing (an extension, which must not bring back a
  // session deleted meanwhile); it may drop sessions expired by `now`. Get
  // answers nullopt for an unknown or expired session.
  virtual Status PutSession(std::string_view key, const SessionRecord& s, TimeMs now, bool only_existing) = 0;
  virtual Result<std::optional<SessionRecord>> GetSession(std::string_view key, TimeMs now) = 0;
  virtual Status DeleteSession(std::string_view key) = 0;

  // --- reads -------------------------------------------------------------
  virtual Result<Job> GetJob(std::string_view queue, std::string_view id) = 0;  // with attempts and logs
  virtual Result<JobPage> ListJobs(std::string_view queue, const JobQuery& q) = 0;
  virtual Result<std::vector<QueueInfo>> ListQueues() = 0;
  virtual Result<QueueInfo> GetQueue(std::string_view queue) = 0;  // NotFound if never used; with its config
};

}  // namespace cronq
