#include "core/queue_config.h"

namespace cronq {

void ApplyJobDefaults(const JobDefaults& d, NewJob& job) {
  if (d.attempts && !job.attempts_set) job.opts.attempts = *d.attempts;
  if (d.backoff && !job.backoff_set) job.opts.backoff = *d.backoff;
}

}  // namespace cronq
