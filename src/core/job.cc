#include "core/job.h"

namespace cronq {

std::string_view StateName(JobState s) {
  switch (s) {
    case JobState::kWaiting: return "waiting";
    case JobState::kDelayed: return "delayed";
    case JobState::kActive: return "active";
    case JobState::kCompleted: return "completed";
    case JobState::kFailed: return "failed";
  }
  return "unknown";
}

std::optional<JobState> ParseState(std::string_view name) {
  for (int i = 0; i < kJobStateCount; ++i) {
    auto s = static_cast<JobState>(i);
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kRunning: return "running";
    case Outcome::kCompleted: return "completed";
    case Outcome::kFailed: return "failed";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kStalled: return "stalled";
  }
  return "unknown";
}

}  // namespace cronq
