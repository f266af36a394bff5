#include "core/rate_window.h"

#include <algorithm>

namespace cronq {

std::optional<uint64_t> RateWindow::Reserve(TimeMs now, Millis* wait) {
  if (limit_.max <= 0 || limit_.per <= 0) return next_id_++;  // no limit: nothing to track
  // Confirmed starts older than the window no longer count.
  std::erase_if(entries_, [&](const Entry& e) { return !e.pending && e.at + limit_.per <= now; });
  if (static_cast<int64_t>(entries_.size()) < limit_.max) {
    entries_.push_back(Entry{next_id_, now, true});
    return next_id_++;
  }
  Millis w = limit_.per;  // all pending: check again after a short while
  for (const Entry& e : entries_)
    if (!e.pending) w = std::min(w, e.at + limit_.per - now);
  if (wait) *wait = std::max<Millis>(w, 1);
  return std::nullopt;
}

void RateWindow::Confirm(uint64_t id, TimeMs now) {
  for (Entry& e : entries_)
    if (e.id == id) {
      e.pending = false;
      e.at = now;
    }
}

void RateWindow::Cancel(uint64_t id) {
  std::erase_if(entries_, [&](const Entry& e) { return e.id == id; });
}

}  // namespace cronq
