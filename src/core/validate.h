// Validation of names and job options, shared by the API and the CLI.
#pragma once

#include <string_view>

#include "core/job.h"
#include "core/status.h"

namespace cronq {

Status ValidateQueueName(std::string_view name);
Status ValidateJobId(std::string_view id);  // a caller-chosen jobId
Status ValidateNewJob(const NewJob& job);
Status ValidateLockMs(Millis lock_ms);

// Parses a duration like "250ms", "10s", "5m", "2h", "1d" or a bare number of
// milliseconds ("5000").
Result<Millis> ParseDuration(std::string_view text);

}  // namespace cronq
