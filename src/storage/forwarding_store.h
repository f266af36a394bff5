// ForwardingStore: passes every call to another Store (LevelDB's EnvWrapper idea).
// A test double derives from it and overrides only the call it cares about, e.g.
// failing the Nth Commit() to prove that no acknowledged write is lost.
#pragma once

#include "storage/store.h"

namespace cronq {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store* target) : t_(target) {}

  Status Begin() override { return t_->Begin(); }
  Status Commit() override { return t_->Commit(); }
  void Rollback() override { t_->Rollback(); }
  Result<EnqueueResult> Enqueue(std::string_view q, const NewJob& j, TimeMs now) override {
    return t_->Enqueue(q, j, now);
  }
  Result<std::vector<EnqueueResult>> EnqueueBatch(std::string_view q, const std::vector<NewJob>& jobs,
                                                  TimeMs now) override {
    return t_->EnqueueBatch(q, jobs, now);
  }
  Result<EnqueuedAndLeased> EnqueueThenLease(std::string_view q, const std::vector<NewJob>& jobs, TimeMs now,
                                             const FetchSpec& then) override {
    return t_->EnqueueThenLease(q, jobs, now, then);
  }
  Result<std::vector<Lease>> LeaseNext(const FetchSpec& s, TimeMs now) override { return t_->LeaseNext(s, now); }
  Result<TimeMs> Extend(const ExtendSpec& s, TimeMs now) override { return t_->Extend(s, now); }
  Result<AttemptEnd> Complete(const CompleteSpec& s, TimeMs now) override { return t_->Complete(s, now); }
  std::vector<Result<AttemptEnd>> CompleteBatch(const std::vector<CompleteSpec>& s, TimeMs now) override {
    return t_->CompleteBatch(s, now);
  }
  Result<AttemptEnd> Fail(const FailSpec& s, TimeMs now, double unit) override { return t_->Fail(s, now, unit); }
  Result<DueWork> RunDue(TimeMs now, double unit) override { return t_->RunDue(now, unit); }
  Result<Deadlines> NextDeadlines() override { return t_->NextDeadlines(); }
  void Housekeep(bool soon) override { t_->Housekeep(soon); }
  bool HousekeepingDue(bool soon) const override { return t_->HousekeepingDue(soon); }
  Status Retry(std::string_view q, std::string_view id, TimeMs now) override { return t_->Retry(q, id, now); }
  Status Promote(std::string_view q, std::string_view id, TimeMs now) override { return t_->Promote(q, id, now); }
  Status Remove(std::string_view q, std::string_view id) override { return t_->Remove(q, id); }
  Status SetPaused(std::string_view q, bool p, TimeMs now) override { return t_->SetPaused(q, p, now); }
  Status CreateQueue(std::string_view q, TimeMs now) override { return t_->CreateQueue(q, now); }
  Status SetQueueConfig(std::string_view q, const QueueConfig& c, TimeMs now) override {
    return t_->SetQueueConfig(q, c, now);
  }
  Result<std::vector<PushQueue>> ListPushQueues() override { return t_->ListPushQueues(); }
  Status PutSchedule(const ScheduleDef& d, std::optional<TimeMs> next, TimeMs now) override {
    return t_->PutSchedule(d, next, now);
  }
  Result<ScheduleState> GetSchedule(std::string_view n) override { return t_->GetSchedule(n); }
  Result<std::vector<ScheduleState>> ListSchedules() override { return t_->ListSchedules(); }
  Status DeleteSchedule(std::string_view n) override { return t_->DeleteSchedule(n); }
  Status SetSchedulePaused(std::string_view n, bool p, std::optional<TimeMs> next, TimeMs now) override {
    return t_->SetSchedulePaused(n, p, next, now);
  }
  Result<std::vector<ScheduleState>> DueSchedules(TimeMs now, TimeMs ahead_until, int limit) override {
    return t_->DueSchedules(now, ahead_until, limit);
  }
  Result<SlotClaim> ClaimSlot(std::string_view n, TimeMs due, SlotStatus st, const NewJob* job, std::string_view q,
                              std::string_view note, TimeMs now, TimeMs ready_at) override {
    return t_->ClaimSlot(n, due, st, job, q, note, now, ready_at);
  }
  Result<std::vector<TimeMs>> WithdrawSlots(std::string_view n, TimeMs now) override {
    return t_->WithdrawSlots(n, now);
  }
  Status AdvanceSchedule(std::string_view n, std::optional<TimeMs> next) override { return t_->AdvanceSchedule(n, next); }
  Result<std::vector<SlotRecord>> ListSlots(std::string_view n, int limit) override { return t_->ListSlots(n, limit); }
  Status AppendAudit(const AuditEntry& e) override { return t_->AppendAudit(e); }
  Status PutSession(std::string_view k, const SessionRecord& s, TimeMs now, bool only_existing) override {
    return t_->PutSession(k, s, now, only_existing);
  }
  Result<std::optional<SessionRecord>> GetSession(std::string_view k, TimeMs now) override {
    return t_->GetSession(k, now);
  }
  Status DeleteSession(std::string_view k) override { return t_->DeleteSession(k); }
  Result<AuditPage> ListAudit(const AuditQuery& q) override { return t_->ListAudit(q); }
  Result<Job> GetJob(std::string_view q, std::string_view id) override { return t_->GetJob(q, id); }
  Result<JobPage> ListJobs(std::string_view q, const JobQuery& query) override { return t_->ListJobs(q, query); }
  Result<std::vector<QueueInfo>> ListQueues() override { return t_->ListQueues(); }
  Result<QueueInfo> GetQueue(std::string_view q) override { return t_->GetQueue(q); }

 protected:
  Store* target() { return t_; }

 private:
  Store* t_;
};

}  // namespace cronq
