#include "storage/store.h"

#include "core/cron/iso8601.h"

namespace cronq {

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

std::string FireId(std::string_view schedule, TimeMs due) { return std::string(schedule) + "@" + FormatIso8601(due); }

}  // namespace cronq
