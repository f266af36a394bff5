// `cronq cron next "EXPR" --tz ZONE --from ISO8601 --count N`
//
// Prints the next `count` fire instants strictly after `from_iso8601`, one per
// line, as ISO-8601 UTC with whole seconds ("2026-03-08T07:00:00Z"). An empty
// `tz` means UTC.
// Returns 0 on success (also when the expression fires fewer than `count` more
// times: the lines printed are all there are, and a note goes to `err`), 2 when
// the expression, zone, time or count is invalid (the message goes to `err`).
#pragma once

#include <ostream>
#include <string>

namespace cronq {

constexpr int kCronNextMaxCount = 10000;

int CronNextMain(const std::string& expr, const std::string& tz, const std::string& from_iso8601, int count,
                 std::ostream& out, std::ostream& err);

}  // namespace cronq
