// The engine's scheduler: turns due schedule slots into jobs, exactly once.
//
// Every batch whose planner deadline says a schedule is due asks the store for
// the due schedules, plans their slots with core/schedule.h (missed-run policy),
// applies the overlap policy against the schedule's previous job, and claims each
// slot in the store, which enqueues the job in the same transaction. The schedule's
// next due slot is advanced in that transaction too, so a crash either keeps all
// of it or none, and a slot already claimed is never fired again.
#include <spdlog/spdlog.h>

#include "core/schedule.h"
#include "engine/engine.h"
#include "engine/submit.h"

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

void Engine::FireSchedules(Store& s, TimeMs now, Batch& b) {
  for (int pass = 0; pass < kPassesPerBatch; ++pass) {
    Result<std::vector<ScheduleState>> due = s.DueSchedules(now, kDueSchedulesPerPass);
    if (!due.ok() || due->empty()) return;
    for (const ScheduleState& st : *due) FireSchedule(s, st, now, b);
    if (due->size() < static_cast<size_t>(kDueSchedulesPerPass)) return;
  }
}

void Engine::FireSchedule(Store& s, const ScheduleState& st, TimeMs now, Batch& b) {
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
    SlotRecord rec{d.name, slot.due, now, SlotStatus::kFired, {}, {}, {}};
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
    Result<SlotClaim> claim = s.ClaimSlot(d.name, slot.due, rec.status, job, d.queue, rec.note, now);
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
  (void)s.AdvanceSchedule(d.name, plan.next_due);
}

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
    if (old.ok()) {
      const ScheduleDef& o = old->def;
      const bool same_timing = o.expr == def.expr && o.tz == def.tz && o.policy.start_at == def.policy.start_at &&
                               o.policy.end_at == def.policy.end_at && o.paused == def.paused;
      if (same_timing && old->next_due) next_due = old->next_due;  // a lost next slot is recomputed
    } else if (!old.status().IsNotFound()) {
      return old.status();
    }
    CRONQ_RETURN_IF_ERROR(s.PutSchedule(def, next_due, now));
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
    CRONQ_RETURN_IF_ERROR(s.DeleteSchedule(name));
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
    if (!paused && st.def.paused) {
      const CronSchedule* cron = Cron(st.def.expr, st.def.tz);
      if (!cron) return Status::Internal("stored schedule does not parse");
      next_due = FirstDue([cron](TimeMs t) { return cron->NextAfter(t); }, now, st.def.policy);
    }
    CRONQ_RETURN_IF_ERROR(s.SetSchedulePaused(name, paused, next_due, now));
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, paused ? "schedule.pause" : "schedule.resume", name));
    return Empty{};
  });
}

void Engine::TriggerSchedule(std::string name, Callback<SlotClaim> cb, Actor who) {
  Submit<SlotClaim>(std::move(cb), [name = std::move(name), who = std::move(who)](Store& s, TimeMs now,
                                                                                  Batch& b) -> Result<SlotClaim> {
    CRONQ_ASSIGN_OR_RETURN(ScheduleState st, s.GetSchedule(name));
    CRONQ_ASSIGN_OR_RETURN(SlotClaim c,
                           s.ClaimSlot(name, now, SlotStatus::kFired, &st.def.job, st.def.queue, "manual trigger", now));
    if (!c.claimed) return Status::Conflict("a slot of " + name + " at this instant was already handled; try again");
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "schedule.trigger", name, "{\"jobId\":" + JsonString(c.job_id) + "}"));
    if (c.job_state == JobState::kWaiting) b.woken.insert(st.def.queue);
    b.slots.push_back(SlotRecord{name, now, now, SlotStatus::kFired, st.def.queue, c.job_id, "manual trigger"});
    return c;
  });
}

}  // namespace cronq
