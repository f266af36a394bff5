// The pure parts of delivering a job to a URL: the request cronq sends to a
// push queue's target and how an answer becomes the attempt's outcome
// (docs/push-protocol.md). No sockets, no clock reads: time is passed in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/job.h"
#include "core/queue_config.h"
#include "net/http.h"
#include "net/outbound.h"

namespace cronq::push {

inline constexpr std::string_view kUserAgent = "cronq/0.1.0";
inline constexpr size_t kResultCap = 64 * 1024;        // bytes of an answer kept as the job's result
inline constexpr Millis kRetryAfterCap = 3'600'000;    // Retry-After is honoured up to one hour

// {"id":..,"queue":..,"name":..,"data":<json>,"attempt":N[,"fireId":..]}: the exact bytes signed.
std::string PushBody(const Lease& lease);
// Every header of a push request, the queue's extra headers last.
net::Fields PushHeaders(const Lease& lease, const PushConfig& config, std::string_view body, int64_t unix_seconds);

// Retry-After as delta-seconds or an HTTP-date, as a delay from `now` (never
// negative), capped at kRetryAfterCap. nullopt when it is neither.
std::optional<Millis> ParseRetryAfter(std::string_view value, TimeMs now);

// What one attempt's answer (or failure to get one) means for the job.
struct Verdict {
  bool complete = false;
  std::string result;  // JSON text, for a completed job
  std::string message;  // why the attempt failed
  bool timed_out = false;
  bool unrecoverable = false;           // Cronq-No-Retry: true
  std::optional<Millis> retry_delay;    // 429/503 with Retry-After
};

// 2xx completes (result: the body as JSON, else as a string, null when empty,
// capped at kResultCap); Cronq-No-Retry: true on any other answer fails for good;
// 429/503 with Retry-After delays the retry; a passed deadline is a timeout;
// anything else fails the attempt with a message naming the cause.
Verdict Judge(const net::CallResult& r, TimeMs now);

// At most `max` bytes of valid UTF-8 (other bytes become '?'), for messages and results.
std::string PrintableUtf8(std::string_view in, size_t max);

}  // namespace cronq::push
