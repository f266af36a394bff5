// Private to the Redis backend: the Store implementation shared by
// redis_store.cc (batches and writes) and redis_reads.cc (reads, due pass,
// schedules).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "storage/redis_conn.h"
#include "storage/redis_scripts.h"
#include "storage/redis_store.h"

namespace cronq::redis {

using Fields = std::map<std::string, std::string>;

class RedisStore final : public Store {
 public:
  explicit RedisStore(RedisOptions opt);
  Status Init();

  Status Begin() override;
  Status Commit() override;
  void Rollback() override;

  Result<EnqueueResult> Enqueue(std::string_view queue, const NewJob& job, TimeMs now) override;
  Result<std::vector<EnqueueResult>> EnqueueBatch(std::string_view queue, const std::vector<NewJob>& jobs,
                                                  TimeMs now) override;
  Result<EnqueuedAndLeased> EnqueueThenLease(std::string_view queue, const std::vector<NewJob>& jobs, TimeMs now,
                                             const FetchSpec& then) override;
  Result<std::vector<Lease>> LeaseNext(const FetchSpec& spec, TimeMs now) override;
  Result<TimeMs> Extend(const ExtendSpec& spec, TimeMs now) override;
  Result<AttemptEnd> Complete(const CompleteSpec& spec, TimeMs now) override;
  std::vector<Result<AttemptEnd>> CompleteBatch(const std::vector<CompleteSpec>& specs, TimeMs now) override;
  Result<AttemptEnd> Fail(const FailSpec& spec, TimeMs now, double unit) override;
  Result<DueWork> RunDue(TimeMs now, double unit) override;
  Result<Deadlines> NextDeadlines() override;
  Status Retry(std::string_view queue, std::string_view id, TimeMs now) override;
  Status Promote(std::string_view queue, std::string_view id, TimeMs now) override;
  Status Remove(std::string_view queue, std::string_view id) override;
  Status SetPaused(std::string_view queue, bool paused, TimeMs now) override;
  Status CreateQueue(std::string_view queue, TimeMs now) override;
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

  // A leased job as the lookup script reads it, for decisions taken in C++.
  struct Held {
    std::string seq;
    JobState state = JobState::kWaiting;
    std::string token, name;
    int attempts_made = 0, attempts_max = 1, max_stalls = 1, stalls = 0;
    TimeMs started_at = 0;
    Millis timeout = 0;
    std::string backoff;
    bool by_timeout = false;
    TimeMs lease_expires = 0;
  };

 private:
  // Runs script `id` with the prefix and journal arguments in front of `args`.
  Result<Reply> Eval(ScriptId id, Args args);
  Result<std::vector<Reply>> EvalMany(ScriptId id, std::vector<Args> calls);
  // Calls of different scripts in one pipeline, run in order.
  Result<std::vector<Reply>> EvalMany(std::vector<std::pair<ScriptId, Args>> calls);
  // The enqueue script's calls for `jobs` (one per chunk, `sizes` its jobs) and
  // the reading of their replies; the lease script's call and its reply's.
  std::vector<Args> EnqueueCalls(std::string_view queue, const std::vector<NewJob>& jobs, TimeMs now,
                                 std::vector<size_t>& sizes);
  Result<std::vector<EnqueueResult>> ReadEnqueued(const std::vector<Reply>& rs, const std::vector<size_t>& sizes);
  Args LeaseCall(const FetchSpec& spec, TimeMs now);
  Result<std::vector<Lease>> ReadLeases(const FetchSpec& spec, const Reply& r);
  Args Head() const;
  // Any connection or script error poisons the batch: Commit() then refuses and rolls back.
  Status Poison(Status st);
  // Script errors come back as error replies.
  Status CheckReply(const Reply& r);
  Result<Held> Lookup(std::string_view queue, std::string_view id);
  // Ends the attempt under `token` (see the finish script).
  Result<AttemptEnd> Finish(std::string_view queue, std::string_view id, std::string_view token, TimeMs now,
                            std::string_view kind, JobState to, Outcome o, TimeMs run_at, std::string_view msg,
                            std::string_view stack, std::string_view result, bool only_expired);
  // Folds the {delayed, expire} deadlines a finish call reports into the kept ones.
  void KeepAddedDeadlines(const redisReply* added);
  Result<AttemptEnd> FinishReply(const redisReply* r, std::string_view queue, std::string_view id, TimeMs now, JobState to,
                                 Outcome o, std::string_view msg);
  Status Operate(std::string_view queue, std::string_view id, Event e, const char* op);
  Result<std::vector<ScheduleState>> ReadSchedules(const std::vector<std::string>& names);
  Result<QueueInfo> ReadQueue(std::string_view queue, bool* exists);
  std::string Key(std::string_view suffix) const { return opt_.prefix + std::string(suffix); }
  std::string RandomHex();

  RedisOptions opt_;
  Conn conn_;
  // The deadlines as last read, for NextDeadlines() after a batch whose writes
  // cannot have moved any of them earlier (see NextDeadlines in redis_reads.cc).
  std::optional<Deadlines> deadlines_;
  std::chrono::steady_clock::time_point deadlines_read_{};
  std::mt19937_64 rng_;
  std::string journal_;  // this store's undo journal key
  bool in_batch_ = false, dirty_ = false, poisoned_ = false;
  Status poison_status_;
};

// Length-prefixed fields written by the scripts' enc().
std::vector<std::string> DecodeFields(std::string_view s);
Fields ToFields(const redisReply* array);
Job DecodeJob(const std::string& seq, const Fields& f);
ScheduleState DecodeSchedule(const Fields& f);

}  // namespace cronq::redis
