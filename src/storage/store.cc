#include "storage/store.h"

#include <cstdio>

#include "core/cron/iso8601.h"

namespace cronq {

Result<std::vector<EnqueueResult>> Store::EnqueueBatch(std::string_view queue, const std::vector<NewJob>& jobs,
                                                       TimeMs now) {
  std::vector<EnqueueResult> out;
  out.reserve(jobs.size());
  for (const NewJob& j : jobs) {
    CRONQ_ASSIGN_OR_RETURN(EnqueueResult r, Enqueue(queue, j, now));
    out.push_back(std::move(r));
  }
  return out;
}

Result<Store::EnqueuedAndLeased> Store::EnqueueThenLease(std::string_view queue, const std::vector<NewJob>& jobs,
                                                        TimeMs now, const FetchSpec& then) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<EnqueueResult> added, EnqueueBatch(queue, jobs, now));
  return EnqueuedAndLeased{std::move(added), LeaseNext(then, now)};
}

std::vector<Result<AttemptEnd>> Store::CompleteBatch(const std::vector<CompleteSpec>& specs, TimeMs now) {
  std::vector<Result<AttemptEnd>> out;
  out.reserve(specs.size());
  for (const CompleteSpec& c : specs) out.push_back(Complete(c, now));
  return out;
}

std::string_view SlotStatusName(SlotStatus s) {
  switch (s) {
    case SlotStatus::kFired: return "fired";
    case SlotStatus::kCompleted: return "completed";
    case SlotStatus::kFailed: return "failed";
    case SlotStatus::kSkipped: return "skipped";
    case SlotStatus::kMissed: return "missed";
  }
  return "fired";
}

// Cron slots are whole seconds; a manual trigger's slot keeps its milliseconds so
// that two triggers within one second still have distinct fire ids.
std::string FireId(std::string_view schedule, TimeMs due) {
  std::string iso = FormatIso8601(due);
  if (due % 1000 != 0 && !iso.empty() && iso.back() == 'Z') {
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(((due % 1000) + 1000) % 1000));
    iso.insert(iso.size() - 1, ms);
  }
  return std::string(schedule) + "@" + iso;
}

}  // namespace cronq
