// Job types shared by every layer. No JSON here: a job's data, progress and result
// travel as already-serialized JSON text that core never parses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace cronq {

// Where a job is in its life. Stored as these integers: never renumber.
// `paused` is a property of the queue, not of a job (a paused queue's jobs stay
// `waiting` and are not leased).
enum class JobState : int {
  kWaiting = 0,    // ready to be leased, ordered by (priority, arrival)
  kDelayed = 1,    // not before run_at: a `delay` option or a backoff before a retry
  kActive = 2,     // leased to one worker until the lease expires
  kCompleted = 3,  // finished successfully (terminal until an operator retries it)
  kFailed = 4,     // out of attempts, unrecoverable, or stalled too often (dead letters)
};
inline constexpr int kJobStateCount = 5;

std::string_view StateName(JobState s);
std::optional<JobState> ParseState(std::string_view name);

// How one attempt ended.
enum class Outcome : int {
  kRunning = 0,    // the attempt holds a lease now
  kCompleted = 1,
  kFailed = 2,     // the worker reported an error
  kTimeout = 3,    // the per-attempt `timeout` passed before the worker finished
  kStalled = 4,    // the lease expired without a heartbeat: the worker vanished
};
std::string_view OutcomeName(Outcome o);

struct Backoff {
  enum class Type : int { kNone = 0, kFixed = 1, kExponential = 2 };
  Type type = Type::kNone;
  Millis delay = 0;      // base delay; exponential doubles it per attempt
  double jitter = 0;     // 0..1: the delay is drawn from [d*(1-jitter), d]
  Millis max_delay = 0;  // cap; 0 means kMaxBackoff
};

// Retention of a finished job (BullMQ's removeOnComplete / removeOnFail).
struct Retention {
  bool remove_now = false;  // `true`: delete as soon as it finishes
  int64_t count = -1;       // keep at most this many finished jobs of the queue; -1: no limit
  Millis age = -1;          // delete once older than this; -1: no limit
  bool keep_all() const { return !remove_now && count < 0 && age < 0; }
};

struct JobOptions {
  int attempts = 1;         // total attempts, including the first
  Backoff backoff;
  Millis delay = 0;         // do not start before created + delay
  int priority = 0;         // lower runs first; FIFO within one priority
  std::string job_id;       // idempotency key; empty: the server assigns a numeric id
  Millis timeout = 0;       // hard limit per attempt; 0: none
  int max_stalls = 1;       // a job whose lease expires more often than this fails
  Retention remove_on_complete;
  Retention remove_on_fail;
};

struct NewJob {
  std::string name;
  std::string data;  // JSON text; "null" when absent
  JobOptions opts;
  // Whether the producer set these options; unset ones take the queue's
  // defaults at enqueue (core/queue_config.h).
  bool attempts_set = true, backoff_set = true;
};

struct Attempt {
  int n = 0;  // 1-based
  TimeMs started_at = 0;
  TimeMs ended_at = 0;  // 0 while running
  Outcome outcome = Outcome::kRunning;
  std::string error_message;
  std::string error_stack;
  std::string worker;
};

struct LogLine {
  TimeMs at = 0;
  std::string line;
};

struct Job {
  std::string queue;
  std::string id;
  std::string name;
  std::string data;
  JobOptions opts;
  JobState state = JobState::kWaiting;
  int attempts_made = 0;  // attempts that ended (completed, failed or timed out)
  int stalls = 0;
  TimeMs created_at = 0;
  TimeMs run_at = 0;       // when a delayed job becomes waiting
  TimeMs started_at = 0;   // start of the latest attempt
  TimeMs finished_at = 0;  // when it became completed or failed
  TimeMs lease_expires = 0;
  std::string worker;
  std::string progress;  // JSON text or empty
  std::string result;    // JSON text or empty
  std::string failed_reason;
  std::string stacktrace;
  std::vector<Attempt> attempts;
  std::vector<LogLine> logs;
  std::string fire_id;  // set for jobs fired by a schedule
};

// A job handed to a worker, with the lease's fencing token.
struct Lease {
  std::string queue;
  std::string id;
  std::string name;
  std::string data;
  int attempt = 1;  // 1-based number of this attempt
  std::string token;
  TimeMs lease_expires = 0;
  TimeMs created_at = 0;
  Millis timeout = 0;
  int max_attempts = 1;
  std::string fire_id;  // "schedule@2026-03-08T07:00:00Z" for scheduled jobs; else empty
};

}  // namespace cronq
