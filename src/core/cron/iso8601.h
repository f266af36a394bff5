// ISO-8601 instants for the cron tools: parse what users type, print what they read.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace cronq {

// Accepts "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z", "+HH:MM", "-HH:MM",
// "+HHMM", "+HH" or nothing (nothing means UTC). 'T' may also be 't' or a space.
// Fractions past milliseconds are truncated. Years 0001-9999.
Result<TimeMs> ParseIso8601(std::string_view text);

// "2026-03-08T07:00:00Z": UTC, whole seconds (a fraction is floored away).
std::string FormatIso8601(TimeMs t);

}  // namespace cronq
