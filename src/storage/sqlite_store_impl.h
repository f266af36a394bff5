// Private to the SQLite backend: the Store implementation shared by
// sqlite_store.cc (writes) and sqlite_reads.cc (reads and the due pass).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "storage/encoding.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_store.h"

namespace cronq::sqlite {

// A job's identity inside the file: its row and queue.
struct JobRef {
  int64_t seq = 0;
  JobState state = JobState::kWaiting;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Db> db) : db_(std::move(db)), rng_(std::random_device{}()) {}
  Status Init();

  Status Begin() override;
  Status Commit() override;
  void Rollback() override;

  Result<EnqueueResult> Enqueue(std::string_view queue, const NewJob& job, TimeMs now) override;
  Result<std::vector<Lease>> LeaseNext(const FetchSpec& spec, TimeMs now) override;
  Result<TimeMs> Extend(const ExtendSpec& spec, TimeMs now) override;
  Result<AttemptEnd> Complete(const CompleteSpec& spec, TimeMs now) override;
  Result<AttemptEnd> Fail(const FailSpec& spec, TimeMs now, double unit) override;
  Result<DueWork> RunDue(TimeMs now, double unit) override;
  Result<Deadlines> NextDeadlines() override;
  void Housekeep(bool soon) override;
  bool HousekeepingDue(bool soon) const override;
  Status Retry(std::string_view queue, std::string_view id, TimeMs now) override;
  Status Promote(std::string_view queue, std::string_view id, TimeMs now) override;
  Status Remove(std::string_view queue, std::string_view id) override;
  Status SetPaused(std::string_view queue, bool paused, TimeMs now) override;
  Status CreateQueue(std::string_view queue, TimeMs now) override { return EnsureQueue(queue, now); }
  Status SetQueueConfig(std::string_view queue, const QueueConfig& config, TimeMs now) override;
  Result<std::vector<PushQueue>> ListPushQueues() override;
  Status PutSchedule(const ScheduleDef& def, std::optional<TimeMs> next_due, TimeMs now) override;
  Result<ScheduleState> GetSchedule(std::string_view name) override;
  Result<std::vector<ScheduleState>> ListSchedules() override;
  Status DeleteSchedule(std::string_view name) override;
  Status SetSchedulePaused(std::string_view name, bool paused, std::optional<TimeMs> next_due, TimeMs now) override;
  Result<std::vector<ScheduleState>> DueSchedules(TimeMs now, TimeMs ahead_until, int limit) override;
  Result<SlotClaim> ClaimSlot(std::string_view name, TimeMs due, SlotStatus status, const NewJob* job,
                              std::string_view queue, std::string_view note, TimeMs now,
                              TimeMs ready_at) override;
  Result<std::vector<TimeMs>> WithdrawSlots(std::string_view name, TimeMs now) override;
  Status AdvanceSchedule(std::string_view name, std::optional<TimeMs> next_due) override;
  Result<std::vector<SlotRecord>> ListSlots(std::string_view name, int limit) override;
  Status AppendAudit(const AuditEntry& entry) override;
  Status PutSession(std::string_view key, const SessionRecord& s, TimeMs now, bool only_existing) override;
  Result<std::optional<SessionRecord>> GetSession(std::string_view key, TimeMs now) override;
  Status DeleteSession(std::string_view key) override;
  Result<AuditPage> ListAudit(const AuditQuery& q) override;
  Result<Job> GetJob(std::string_view queue, std::string_view id) override;
  Result<JobPage> ListJobs(std::string_view queue, const JobQuery& q) override;
  Result<std::vector<QueueInfo>> ListQueues() override;
  Result<QueueInfo> GetQueue(std::string_view queue) override;

  // The lease being acknowledged, checked against its fencing token.
  struct Held {
    int64_t seq = 0;
    std::string id, name;
    int attempts_made = 0, attempts_max = 1, max_stalls = 1, stalls = 0;
    int64_t lease_no = 0;
    TimeMs started_at = 0;
    Millis timeout = 0;
    std::string backoff, keep_complete, keep_fail;
    std::string worker;
    std::string sched;  // the schedule that fired this job, if any
    TimeMs sched_due = 0;
  };

 private:

  // Any SQL error poisons the batch: Commit() then refuses and rolls back.
  template <typename T>
  T Poison(T st_or_result);
  Status EnsureQueue(std::string_view queue, TimeMs now);
  Result<JobRef> FindJob(std::string_view queue, std::string_view id);
  Result<Held> FindHeld(std::string_view queue, std::string_view id, std::string_view token);
  Status Move(std::string_view queue, JobState from, JobState to);  // count bookkeeping
  Status EndAttempt(const Held& h, Outcome o, TimeMs now, std::string_view msg, std::string_view stack);
  // Applies a finished job's retention; `state` is completed or failed.
  Status Retain(std::string_view queue, int64_t seq, JobState state, std::string_view keep, TimeMs now);
  Status DeleteJob(int64_t seq);
  Result<AttemptEnd> EndBadly(std::string_view queue, const Held& h, Outcome o, std::string_view msg,
                              std::string_view stack, bool unrecoverable, TimeMs now, double unit,
                              std::optional<Millis> retry_delay = std::nullopt);
  Result<AttemptEnd> EndStalled(std::string_view queue, const Held& h, TimeMs now);
  // Enqueue with an optional link to the schedule slot that fired the job. The
  // job waits until ready_at (when after now) plus its own delay.
  Result<EnqueueResult> Insert(std::string_view queue, const NewJob& job, TimeMs now, std::string_view sched,
                               TimeMs sched_due, TimeMs ready_at = 0);
  // A fired job finished or went away: record the outcome on its slot.
  Status SettleSlot(std::string_view sched, TimeMs due, SlotStatus status, std::string_view note);
  Result<std::vector<ScheduleState>> ReadSchedules(const char* sql, std::string_view name, TimeMs now, int limit,
                                                   TimeMs ahead_until = 0);
  Status FlushCounts();
  Status RunTrims();
  std::string NewToken(int64_t lease_no);

  std::unique_ptr<Db> db_;
  // Frames in the WAL after the latest commit (SQLite's WAL hook; it replaces the
  // automatic checkpoint, which ran inside the commit that crossed 1000 pages).
  int wal_pages_ = 0;
  std::mt19937_64 rng_;
  bool in_batch_ = false;
  bool poisoned_ = false;
  Status poison_status_;
  std::unordered_set<std::string> known_queues_;       // committed
  std::unordered_set<std::string> batch_queues_;       // created in this batch
  std::map<std::pair<std::string, int>, int64_t> count_deltas_;
  std::map<std::pair<std::string, int>, int64_t> trims_;  // (queue, state) -> keep count
  std::map<std::string, int> slot_claims_;                // schedule -> claims since its history was trimmed
  // Lease start times of queues leased with a FetchSpec::rate, oldest first:
  // committed, and added in this batch (kept in memory: one process owns the file).
  std::map<std::string, std::deque<TimeMs>> starts_, batch_starts_;
  // Job defaults of queues that have some: committed, and set in this batch.
  std::unordered_map<std::string, JobDefaults> defaults_, batch_defaults_;
  const JobDefaults* DefaultsOf(const std::string& queue) const;
};

// Helpers shared by both files (the option encodings and NumericId are in encoding.h).
std::string JobIdOf(int64_t seq, std::string_view custom_id);

// The columns of a leased job that acknowledging it needs, read by ReadHeld.
#define CRONQ_HELD_COLUMNS                                                                                 \
  "seq, custom_id, name, attempts_made, attempts_max, max_stalls, stalls, lease_no, started_at, timeout_ms, " \
  "backoff, keep_complete, keep_fail, sched, sched_due, worker"
// Reads CRONQ_HELD_COLUMNS starting at column `c`.
SqliteStore::Held ReadHeld(const Stmt& s, int c);
JobOptions DecodeOptions(std::string_view s);

}  // namespace cronq::sqlite
