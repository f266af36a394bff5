// The engine's scheduler: turns due schedule slots into jobs, exactly once.
//
// Every batch whose planner deadline says a schedule is due asks the store for
// the due schedules, plans their slots with core/schedule.h (missed-run policy),
// applies the overlap policy against the schedule's previous job, and claims each
// slot in the store, which enqueues the job in the same transaction. The schedule's
// next due slot is advanced in that transaction too, so a crash either keeps all
// of it or none, and a slot already claimed is never fired again.
//
// Claiming ahead. A schedule with overlap `allow` has nothing to decide at its due
// instant, so its slots are claimed up to `EngineOptions::schedule_lead` before
// it: the same durable claim, with the job enqueued *delayed* until the due
// instant, and the slot recorded as handled at that instant (claimed_at: when
// it was written). The due pass then only has to promote the jobs, which is far
// cheaper than claiming, so thousands of schedules due in the same second reach
// their workers on time instead of one claim batch after another. forbid and
// replace decide against the previous run at the due instant and keep the
// claim-at-due path; so does any slot found already due (late: the missed-run
// policy applies as always). A pause, a delete or an upsert that changes what a
// slot would fire takes back the slots still ahead (Store::WithdrawSlots) in its
// own batch, so no stale fire is left behind.
#include <spdlog/spdlog.h>

#include "core/schedule.h"
#include "engine/engine.h"
#include "engine/submit.h"
#include "storage/encoding.h"

namespace cronq {
namespace {

constexpr int kDueSchedulesPerPass = 256;
constexpr int kPassesPerBatch = 8;

bool Unfinished(JobState s) { return s == JobState::kWaiting || s == JobState::kDelayed || s == JobState::kActive; }

}  // namespace

const CronSchedule* Engine::Cron(const std::string& expr, const std::string& tz) {
  std::string key = expr + '\x1f' + tz;
  auto it = crons_.find(key);
  if (it == crons_.end()) {
    if (crons_.size() > 100'000) crons_.clear();  // bounded: rebuilt on demand
    Result<CronSchedule> c = CronSchedule::Create(expr, tz);
    it = crons_.emplace(key, c.ok() ? std::optional<CronSchedule>(*c) : std::nullopt).first;
  }
  return it->second ? &*it->second : nullptr;
}

void Engine::FireSchedules(Store& s, TimeMs now, TimeMs ahead_until, Batch& b) {
  for (int pass = 0; pass < kPassesPerBatch; ++pass) {
    Result<std::vector<ScheduleState>> due = s.DueSchedules(now, ahead_until, kDueSchedulesPerPass);
    if (!due.ok() || due->empty()) return;
    for (const ScheduleState& st : *due) FireSchedule(s, st, now, ahead_until, b);
    if (due->size() < static_cast<size_t>(kDueSchedulesPerPass)) return;
  }
}

void Engine::FireSchedule(Store& s, const ScheduleState& st, TimeMs now, TimeMs ahead_until, Batch& b) {
  const ScheduleDef& d = st.def;
  const CronSchedule* cron = Cron(d.expr, d.tz);
  if (!cron || !st.next_due) {  // cannot happen for validated schedules; never spin on it
    spdlog::error("event=schedule.invalid schedule={} expr={:?} tz={}", d.name, d.expr, d.tz);
    (void)s.AdvanceSchedule(d.name, std::nullopt);
    return;
  }
  Plan plan = PlanSlots([cron](TimeMs t) { return cron->NextAfter(t); }, *st.next_due, now, d.policy);
  std::string last_queue = st.last_queue, last_id = st.last_id;
  for (const SlotPlan& slot : plan.slots) {
    SlotRecord rec{d.name, slot.due, now, now, SlotStatus::kFired, {}, {}, {}};
    if (slot.action == SlotAction::kMissed) {
      rec.status = SlotStatus::kMissed;
      rec.note = "missed: cronq was down or behind (policy " + std::string(MissedPolicyName(d.policy.missed)) + ")";
    } else if (d.policy.overlap != OverlapPolicy::kAllow && !last_id.empty()) {
      Result<Job> prev = s.GetJob(last_queue, last_id);
      if (prev.ok() && Unfinished(prev->state)) {
        if (d.policy.overlap == OverlapPolicy::kForbid) {
          rec.status = SlotStatus::kSkipped;
          rec.note = "overlap: the previous run (job " + last_id + ") is still " + std::string(StateName(prev->state));
        } else if (prev->state != JobState::kActive && s.Remove(last_queue, last_id).ok()) {
          rec.note = "replaced job " + last_id + " that had not started";
        } else {
          rec.note = "the previous run (job " + last_id + ") is still active";
        }
      }
    }
    const NewJob* job = rec.status == SlotStatus::kFired ? &d.job : nullptr;
    Result<SlotClaim> claim = s.ClaimSlot(d.name, slot.due, rec.status, job, d.queue, rec.note, now, now);
    if (!claim.ok() || !claim->claimed) continue;  // an error poisons the batch; false: handled before
    if (rec.status == SlotStatus::kFired) {
      last_queue = d.queue;
      last_id = claim->job_id;
      rec.job_queue = d.queue;
      rec.job_id = claim->job_id;
      if (claim->job_state == JobState::kWaiting) b.woken.insert(d.queue);
    }
    b.slots.push_back(std::move(rec));
  }
  std::optional<TimeMs> next_due = plan.next_due;
  const bool caught_up = next_due && *next_due > now;  // PlanSlots' cap may leave due slots for the next pass
  if (caught_up && *next_due <= ahead_until && d.policy.overlap == OverlapPolicy::kAllow) {
    Plan ahead = PlanAhead([cron](TimeMs t) { return cron->NextAfter(t); }, *next_due, ahead_until, d.policy);
    for (const SlotPlan& slot : ahead.slots) {
      Result<SlotClaim> claim = s.ClaimSlot(d.name, slot.due, SlotStatus::kFired, &d.job, d.queue, {}, now, slot.due);
      if (!claim.ok() || !claim->claimed) continue;
      b.slots.push_back(SlotRecord{d.name, slot.due, slot.due, now, SlotStatus::kFired, d.queue, claim->job_id, {}});
    }
    next_due = ahead.next_due;
  }
  (void)s.AdvanceSchedule(d.name, next_due);
}

namespace {

// Whether a slot claimed ahead under `o` would still fire the same job at the same
// instant under `n`. Missed-run policy and grace do not matter to a slot that is
// not late; everything else does.
bool SameFire(const ScheduleDef& o, const ScheduleDef& n) {
  return o.expr == n.expr && o.tz == n.tz && o.policy.start_at == n.policy.start_at &&
         o.policy.end_at == n.policy.end_at && o.paused == n.paused && o.policy.overlap == n.policy.overlap &&
         o.queue == n.queue && o.job.name == n.job.name && o.job.data == n.job.data &&
         sqlite::EncodeJobOptions(o.job) == sqlite::EncodeJobOptions(n.job);
}

}  // namespace

// ---- operations -----------------------------------------------------------------

void Engine::PutSchedule(ScheduleDef def, Callback<ScheduleView> cb, Actor who) {
  Submit<ScheduleView>(std::move(cb), [this, def = std::move(def), who = std::move(who)](Store& s, TimeMs now,
                                                                   Batch& b) mutable -> Result<ScheduleView> {
    const CronSchedule* cron = Cron(def.expr, def.tz);
    if (!cron) return Status::InvalidArgument("invalid cron expression or time zone");
    NextAfterFn next = [cron](TimeMs t) { return cron->NextAfter(t); };
    std::optional<TimeMs> next_due = FirstDue(next, now, def.policy);
    Result<ScheduleState> old = s.GetSchedule(def.name);
    if (old.ok() && !def.paused_given) def.paused = old->def.paused;  // an operator's pause survives redeploys
    std::vector<TimeMs> withdrawn;
    if (old.ok()) {
      const ScheduleDef& o = old->def;
      const bool same_timing = o.expr == def.expr && o.tz == def.tz && o.policy.start_at == def.policy.start_at &&
                               o.policy.end_at == def.policy.end_at && o.paused == def.paused;
      // Slots claimed ahead under the old definition would fire stale: take them
      // back. With the same timing they are claimed again, under the new one.
      if (!SameFire(o, def)) {
        CRONQ_ASSIGN_OR_RETURN(withdrawn, s.WithdrawSlots(def.name, now));
      }
      if (same_timing && !withdrawn.empty()) next_due = withdrawn.front();
      else if (same_timing && old->next_due) next_due = old->next_due;  // a lost next slot is recomputed
    } else if (!old.status().IsNotFound()) {
      return old.status();
    }
    Status put = s.PutSchedule(def, next_due, now);
    if (!put.ok() && !withdrawn.empty()) b.fatal = put;  // the withdrawal must not commit alone
    CRONQ_RETURN_IF_ERROR(put);
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "schedule.put", def.name));
    CRONQ_ASSIGN_OR_RETURN(ScheduleState st, s.GetSchedule(def.name));
    CRONQ_ASSIGN_OR_RETURN(std::vector<SlotRecord> slots, s.ListSlots(def.name, 20));
    return ScheduleView{std::move(st), std::move(slots)};
  });
}

void Engine::GetSchedule(std::string name, int history, Callback<ScheduleView> cb) {
  Submit<ScheduleView>(std::move(cb), [name = std::move(name), history](Store& s, TimeMs, Batch&) -> Result<ScheduleView> {
    CRONQ_ASSIGN_OR_RETURN(ScheduleState st, s.GetSchedule(name));
    CRONQ_ASSIGN_OR_RETURN(std::vector<SlotRecord> slots, s.ListSlots(name, history));
    return ScheduleView{std::move(st), std::move(slots)};
  });
}

void Engine::ListSchedules(Callback<std::vector<ScheduleState>> cb) {
  Submit<std::vector<ScheduleState>>(std::move(cb), [](Store& s, TimeMs, Batch&) { return s.ListSchedules(); });
}

void Engine::DeleteSchedule(std::string name, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [name = std::move(name), who = std::move(who)](Store& s, TimeMs now, Batch& b) -> Result<Empty> {
    // Jobs of slots claimed ahead go with the schedule; fired jobs stay in their queue.
    CRONQ_ASSIGN_OR_RETURN(std::vector<TimeMs> withdrawn, s.WithdrawSlots(name, now));
    Status del = s.DeleteSchedule(name);
    if (!del.ok() && !withdrawn.empty()) b.fatal = del;
    CRONQ_RETURN_IF_ERROR(del);
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "schedule.delete", name));
    return Empty{};
  });
}

// Resuming starts from now: slots that passed while paused are not run.
void Engine::SetSchedulePaused(std::string name, bool paused, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [this, name = std::move(name), paused, who = std::move(who)](Store& s, TimeMs now,
                                                                                            Batch& b) -> Result<Empty> {
    CRONQ_ASSIGN_OR_RETURN(ScheduleState st, s.GetSchedule(name));
    std::optional<TimeMs> next_due = st.next_due;
    std::vector<TimeMs> withdrawn;  // a pause takes back the slots claimed ahead: nothing fires while paused
    if (paused && !st.def.paused) {
      CRONQ_ASSIGN_OR_RETURN(withdrawn, s.WithdrawSlots(name, now));
    }
    if (!paused && st.def.paused) {
      const CronSchedule* cron = Cron(st.def.expr, st.def.tz);
      if (!cron) return Status::Internal("stored schedule does not parse");
      next_due = FirstDue([cron](TimeMs t) { return cron->NextAfter(t); }, now, st.def.policy);
    }
    Status set = s.SetSchedulePaused(name, paused, next_due, now);
    if (!set.ok() && !withdrawn.empty()) b.fatal = set;
    CRONQ_RETURN_IF_ERROR(set);
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, paused ? "schedule.pause" : "schedule.resume", name));
    return Empty{};
  });
}

void Engine::TriggerSchedule(std::string name, Callback<SlotClaim> cb, Actor who) {
  Submit<SlotClaim>(std::move(cb), [name = std::move(name), who = std::move(who)](Store& s, TimeMs now,
                                                                                  Batch& b) -> Result<SlotClaim> {
    CRONQ_ASSIGN_OR_RETURN(ScheduleState st, s.GetSchedule(name));
    CRONQ_ASSIGN_OR_RETURN(SlotClaim c,
                           s.ClaimSlot(name, now, SlotStatus::kFired, &st.def.job, st.def.queue, "manual trigger", now,
                                       now));
    if (!c.claimed) return Status::Conflict("a slot of " + name + " at this instant was already handled; try again");
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "schedule.trigger", name, "{\"jobId\":" + JsonString(c.job_id) + "}"));
    if (c.job_state == JobState::kWaiting) b.woken.insert(st.def.queue);
    b.slots.push_back(SlotRecord{name, now, now, now, SlotStatus::kFired, st.def.queue, c.job_id, "manual trigger"});
    return c;
  });
}

}  // namespace cronq
