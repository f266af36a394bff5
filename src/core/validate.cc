#include "core/validate.h"

#include <charconv>
#include <string>

#include "core/limits.h"

namespace cronq {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == ':';
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

Status ValidateRetention(const Retention& r, const char* field) {
  if (r.count < -1) return Status::InvalidArgument(std::string(field) + ".count must be >= 0");
  if (r.age < -1 || r.age > limits::kRetentionAgeMax)
    return Status::InvalidArgument(std::string(field) + ".age must be between 0 and 10 years");
  return Status::Ok();
}

}  // namespace

Status ValidateQueueName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("queue name is empty");
  if (name.size() > limits::kQueueName)
    return Status::InvalidArgument("queue name is longer than " + std::to_string(limits::kQueueName) +
                                   " characters");
  for (char c : name) {
    if (!IsNameChar(c))
      return Status::InvalidArgument("queue name may contain only letters, digits and . _ - :");
  }
  return Status::Ok();
}

Status ValidateJobId(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("jobId is empty");
  if (id.size() > limits::kJobId)
    return Status::InvalidArgument("jobId is longer than " + std::to_string(limits::kJobId) + " characters");
  if (AllDigits(id))
    return Status::InvalidArgument("jobId must not be all digits: numeric ids are assigned by the server");
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '/')
      return Status::InvalidArgument("jobId must not contain control characters or '/'");
  }
  return Status::Ok();
}

Status ValidateNewJob(const NewJob& job) {
  if (job.name.empty()) return Status::InvalidArgument("job name is empty");
  if (job.name.size() > limits::kJobName)
    return Status::InvalidArgument("job name is longer than " + std::to_string(limits::kJobName) +
                                   " characters");
  if (job.data.size() > limits::kJobData)
    return Status::TooLarge("job data is larger than " + std::to_string(limits::kJobData) + " bytes");
  const JobOptions& o = job.opts;
  if (!o.job_id.empty()) CRONQ_RETURN_IF_ERROR(ValidateJobId(o.job_id));
  if (o.attempts < 1 || o.attempts > limits::kAttemptsMax)
    return Status::InvalidArgument("attempts must be between 1 and " + std::to_string(limits::kAttemptsMax));
  if (o.backoff.delay < 0 || o.backoff.max_delay < 0)
    return Status::InvalidArgument("backoff delays must be >= 0");
  if (o.backoff.jitter < 0 || o.backoff.jitter > 1)
    return Status::InvalidArgument("backoff.jitter must be between 0 and 1");
  if (o.delay < 0 || o.delay > limits::kDelayMax)
    return Status::InvalidArgument("delay must be between 0 and 10 years");
  if (o.priority < 0 || o.priority > limits::kPriorityMax)
    return Status::InvalidArgument("priority must be between 0 and " + std::to_string(limits::kPriorityMax));
  if (o.timeout < 0 || o.timeout > limits::kTimeoutMax)
    return Status::InvalidArgument("timeout must be between 0 and 30 days (in ms)");
  if (o.backoff.delay > limits::kDelayMax || o.backoff.max_delay > limits::kDelayMax)
    return Status::InvalidArgument("backoff delays must be at most 10 years");
  if (o.max_stalls < 0) return Status::InvalidArgument("maxStalls must be >= 0");
  CRONQ_RETURN_IF_ERROR(ValidateRetention(o.remove_on_complete, "removeOnComplete"));
  CRONQ_RETURN_IF_ERROR(ValidateRetention(o.remove_on_fail, "removeOnFail"));
  return Status::Ok();
}

Status ValidateLockMs(Millis lock_ms) {
  if (lock_ms < limits::kLockMin || lock_ms > limits::kLockMax)
    return Status::InvalidArgument("lockMs must be between " + std::to_string(limits::kLockMin) + " and " +
                                   std::to_string(limits::kLockMax));
  return Status::Ok();
}

Result<Millis> ParseDuration(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return Status::InvalidArgument("bad duration '" + std::string(text) + "': expected e.g. 500ms, 10s, 5m");
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, n);
  if (ec != std::errc()) return Status::InvalidArgument("bad duration '" + std::string(text) + "': number too large");
  std::string_view unit = text.substr(i);
  int64_t mult;
  if (unit.empty() || unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else if (unit == "d") mult = 86'400'000;
  else return Status::InvalidArgument("bad duration unit '" + std::string(unit) + "': use ms, s, m, h or d");
  if (n > limits::kDelayMax / mult) return Status::InvalidArgument("duration too large");
  return n * mult;
}

}  // namespace cronq
