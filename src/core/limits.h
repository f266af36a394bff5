// Size limits enforced at the edges. Every value is documented in docs/http-api.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/clock.h"

namespace cronq::limits {

inline constexpr size_t kQueueName = 128;       // [A-Za-z0-9._:-]
inline constexpr size_t kJobName = 256;
inline constexpr size_t kJobId = 256;
inline constexpr size_t kJobData = 512 * 1024;  // serialized JSON of `data`
inline constexpr size_t kResult = 512 * 1024;   // serialized JSON of a result or progress
inline constexpr size_t kErrorMessage = 8 * 1024;
inline constexpr size_t kErrorStack = 64 * 1024;
inline constexpr size_t kLogLine = 8 * 1024;
inline constexpr size_t kLogLinesPerJob = 1000;  // older lines are dropped
inline constexpr size_t kBatch = 5000;           // jobs per enqueue batch or ack batch
inline constexpr int kFetchMax = 1000;           // jobs per fetch
inline constexpr Millis kFetchWaitMax = 30'000;  // long-poll wait
inline constexpr Millis kLockMin = 100;
inline constexpr Millis kLockMax = 24LL * 3600 * 1000;
inline constexpr Millis kLockDefault = 30'000;
inline constexpr int kAttemptsMax = 1000;
inline constexpr int kPriorityMax = 2'097'152;  // BullMQ's limit
inline constexpr Millis kDelayMax = 10LL * 365 * 24 * 3600 * 1000;
inline constexpr Millis kTimeoutMax = 30LL * 24 * 3600 * 1000;    // per attempt
inline constexpr Millis kRetentionAgeMax = kDelayMax;
inline constexpr size_t kBody = 16 * 1024 * 1024;  // whole HTTP request body
inline constexpr int kJsonDepth = 64;

}  // namespace cronq::limits
