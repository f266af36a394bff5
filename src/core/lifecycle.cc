#include "core/lifecycle.h"

#include <string>

namespace cronq {
namespace {

struct Rule {
  Event event;
  std::optional<JobState> from;  // nullopt: a new job
  JobState to;
};

constexpr std::optional<JobState> kNew = std::nullopt;
using S = JobState;

// The whole state machine. Anything not listed here is illegal.
const Rule kRules[] = {
    {Event::kEnqueue, kNew, S::kWaiting},
    {Event::kEnqueueDelayed, kNew, S::kDelayed},
    {Event::kPromote, S::kDelayed, S::kWaiting},
    {Event::kLease, S::kWaiting, S::kActive},
    {Event::kLeaseDue, S::kDelayed, S::kActive},
    {Event::kExtend, S::kActive, S::kActive},
    {Event::kComplete, S::kActive, S::kCompleted},
    {Event::kRetryLater, S::kActive, S::kDelayed},
    {Event::kRetryNow, S::kActive, S::kWaiting},
    {Event::kFailFinal, S::kActive, S::kFailed},
    {Event::kStallRequeue, S::kActive, S::kWaiting},
    {Event::kStallFail, S::kActive, S::kFailed},
    {Event::kOperatorRetry, S::kCompleted, S::kWaiting},
    {Event::kOperatorRetry, S::kFailed, S::kWaiting},
    {Event::kRemove, S::kWaiting, S::kWaiting},
    {Event::kRemove, S::kDelayed, S::kDelayed},
    {Event::kRemove, S::kCompleted, S::kCompleted},
    {Event::kRemove, S::kFailed, S::kFailed},
};

}  // namespace

std::string_view EventName(Event e) {
  switch (e) {
    case Event::kEnqueue: return "enqueue";
    case Event::kEnqueueDelayed: return "enqueue-delayed";
    case Event::kPromote: return "promote";
    case Event::kLease: return "lease";
    case Event::kExtend: return "extend";
    case Event::kComplete: return "complete";
    case Event::kRetryLater: return "retry-later";
    case Event::kRetryNow: return "retry-now";
    case Event::kFailFinal: return "fail-final";
    case Event::kStallRequeue: return "stall-requeue";
    case Event::kStallFail: return "stall-fail";
    case Event::kOperatorRetry: return "operator-retry";
    case Event::kRemove: return "remove";
    case Event::kLeaseDue: return "lease-due";
  }
  return "unknown";
}

Result<JobState> Apply(std::optional<JobState> from, Event e) {
  for (const Rule& r : kRules) {
    if (r.event == e && r.from == from) return r.to;
  }
  std::string where = from ? std::string(StateName(*from)) : std::string("a new job");
  return Status::Conflict("cannot " + std::string(EventName(e)) + " a job that is " + where);
}

bool IsLegal(std::optional<JobState> from, Event e) { return Apply(from, e).ok(); }

}  // namespace cronq
