// Private to storage/: the text encodings of job options that both backends
// store (backoff "e,1000,0.25,0", retention "r" | "count,age", options
// "a=3;p=1;...") and the numeric ids and cursors both use. Defined with the
// SQLite backend, which introduced them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/job.h"
#include "core/planner.h"

namespace cronq::sqlite {

std::string EncodeBackoff(const Backoff& b);
Backoff DecodeBackoff(std::string_view s);
std::string EncodeRetention(const Retention& r);
Retention DecodeRetention(std::string_view s);
std::string EncodeOptions(const JobOptions& o);
JobOptions DecodeOptions(std::string_view s);
// A schedule's job options: EncodeOptions plus ";u=a|b|ab" naming the options left
// to the queue's defaults (NewJob::attempts_set / backoff_set).
std::string EncodeJobOptions(const NewJob& job);
void DecodeJobOptions(std::string_view s, NewJob& job);
// "a", "b", "ab" or "": the options `job` left unset.
std::string UnsetOptions(const NewJob& job);
// A positive decimal number, as job ids that are row numbers and the list cursors
// are written; nullopt for anything else (a caller-chosen jobId, a bad cursor).
std::optional<int64_t> NumericId(std::string_view id);
// The deadlines a store reports from NextDeadlines, in the order both backends
// read them: delayed jobs, leases, retention, schedules, schedules claimed ahead.
inline constexpr std::optional<TimeMs> Deadlines::*kStoreDeadlines[] = {
    &Deadlines::next_delayed, &Deadlines::next_lease, &Deadlines::next_retention, &Deadlines::next_schedule,
    &Deadlines::next_schedule_ahead};

}  // namespace cronq::sqlite
