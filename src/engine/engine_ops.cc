// The engine's public operations: each is a small closure run inside a batch.
// Business rules live in core/ and storage/; this file only routes and records
// which queues got new waiting jobs (to serve parked fetches) and what to log.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/engine.h"
#include "engine/submit.h"

namespace cronq {

void Engine::Enqueue(std::string queue, std::vector<NewJob> jobs, Callback<std::vector<EnqueueResult>> cb) {
  Submit<std::vector<EnqueueResult>>(
      std::move(cb), [this, q = std::move(queue), jobs = std::move(jobs)](
                         Store& s, TimeMs now, Batch& b) -> Result<std::vector<EnqueueResult>> {
        std::vector<EnqueueResult> out;
        // A fetch parked on the queue leases in the same step as the enqueue: on
        // Redis one round trip instead of two before the worker has its job.
        auto parked = waiters_.find(q);
        const bool ready = std::any_of(jobs.begin(), jobs.end(), [](const NewJob& j) { return j.opts.delay <= 0; });
        if (ready && parked != waiters_.end() && !parked->second.empty() && !parked->second.front().Gone()) {
          CRONQ_ASSIGN_OR_RETURN(Store::EnqueuedAndLeased r,
                                 s.EnqueueThenLease(q, jobs, now, parked->second.front().spec));
          out = std::move(r.added);
          if (!r.leased.ok() || !r.leased->empty()) {  // else it stays parked (a paused queue...)
            AnswerFrontWaiter(parked->second, std::move(r.leased), b);
            if (parked->second.empty()) waiters_.erase(parked);
          }
        } else {
          CRONQ_ASSIGN_OR_RETURN(out, s.EnqueueBatch(q, jobs, now));
        }
        for (const EnqueueResult& r : out) {
          if (!r.duplicate && r.state == JobState::kWaiting) b.woken.insert(q);
          if (!r.duplicate) b.enqueued[q]++;
        }
        return out;
      });
}

void Engine::Fetch(FetchSpec spec, Millis wait, Callback<std::vector<Lease>> cb,
                   std::shared_ptr<const std::atomic<bool>> gone) {
  auto shared_cb = std::make_shared<Callback<std::vector<Lease>>>(std::move(cb));
  Op op;
  op.run = [this, spec = std::move(spec), wait, shared_cb, gone](Store& s, TimeMs now, Batch& b) -> Reply {
    b.fetchers.emplace_back(spec.queue, spec.worker);
    Result<std::vector<Lease>> r = gone && gone->load() ? Result<std::vector<Lease>>(std::vector<Lease>{})
                                                        : s.LeaseNext(spec, now);
    if (r.ok() && r->empty() && wait > 0 && !(gone && gone->load())) {
      waiters_[spec.queue].push_back(Waiter{spec, now + wait, std::move(*shared_cb), gone});
      return nullptr;  // parked: answered when a job arrives or the wait ends
    }
    if (r.ok()) b.started.insert(b.started.end(), r->begin(), r->end());
    auto res = std::make_shared<Result<std::vector<Lease>>>(std::move(r));
    return [this, shared_cb, res](const Status& commit) {
      Deliver([shared_cb, res, commit] {
        if (!commit.ok()) (*shared_cb)(commit);
        else (*shared_cb)(std::move(*res));
      });
    };
  };
  op.abort = [this, shared_cb](const Status& st) { Deliver([shared_cb, st] { (*shared_cb)(st); }); };
  Push(std::move(op));
}

void Engine::Extend(ExtendSpec spec, Callback<TimeMs> cb) {
  Submit<TimeMs>(std::move(cb), [spec = std::move(spec)](Store& s, TimeMs now, Batch&) { return s.Extend(spec, now); });
}

void Engine::Complete(CompleteSpec spec, Callback<AttemptEnd> cb) {
  Submit<AttemptEnd>(std::move(cb), [spec = std::move(spec)](Store& s, TimeMs now, Batch& b) -> Result<AttemptEnd> {
    CRONQ_ASSIGN_OR_RETURN(AttemptEnd e, s.Complete(spec, now));
    b.ended.push_back(e);
    return e;
  });
}

void Engine::Fail(FailSpec spec, Callback<AttemptEnd> cb) {
  Submit<AttemptEnd>(std::move(cb),
                     [this, spec = std::move(spec)](Store& s, TimeMs now, Batch& b) -> Result<AttemptEnd> {
                       CRONQ_ASSIGN_OR_RETURN(AttemptEnd e, s.Fail(spec, now, Unit()));
                       if (e.state_after == JobState::kWaiting) b.woken.insert(spec.queue);
                       b.ended.push_back(e);
                       return e;
                     });
}

AckResults Engine::RunAck(Store& s, TimeMs now, Batch& b, const std::vector<CompleteSpec>& complete,
                          const std::vector<FailSpec>& fail) {
  AckResults out;
  out.complete.reserve(complete.size());
  for (Result<AttemptEnd>& e : s.CompleteBatch(complete, now)) {
    if (e.ok()) b.ended.push_back(std::move(e).value());
    out.complete.push_back(e.ok() ? Status::Ok() : e.status());
  }
  for (const FailSpec& f : fail) {
    Result<AttemptEnd> e = s.Fail(f, now, Unit());
    if (e.ok()) {
      if (e->state_after == JobState::kWaiting) b.woken.insert(f.queue);
      b.ended.push_back(*e);
    }
    out.fail.push_back(e.status());
  }
  return out;
}

void Engine::Ack(std::vector<CompleteSpec> complete, std::vector<FailSpec> fail, Callback<AckResults> cb) {
  Submit<AckResults>(std::move(cb), [this, complete = std::move(complete), fail = std::move(fail)](
                                        Store& s, TimeMs now, Batch& b) -> Result<AckResults> {
    return RunAck(s, now, b, complete, fail);
  });
}

void Engine::AckThenFetch(std::vector<CompleteSpec> complete, std::vector<FailSpec> fail, FetchSpec next,
                          Callback<AckAndLeases> cb, std::shared_ptr<const std::atomic<bool>> gone) {
  Submit<AckAndLeases>(std::move(cb), [this, complete = std::move(complete), fail = std::move(fail),
                                       next = std::move(next), gone](Store& s, TimeMs now, Batch& b)
                                          -> Result<AckAndLeases> {
    AckAndLeases out{RunAck(s, now, b, complete, fail), {}};
    b.fetchers.emplace_back(next.queue, next.worker);
    if (gone && gone->load()) return out;  // nobody would receive the jobs
    Result<std::vector<Lease>> leased = s.LeaseNext(next, now);
    // The acks are written and stand: a queue that leases nothing to workers (it
    // became a push queue) answers no jobs rather than an error that hides them.
    // Other errors poison the store, and the whole batch fails.
    if (!leased.ok() && !leased.status().IsConflict()) return leased.status();
    if (leased.ok()) out.leases = std::move(leased).value();
    b.started.insert(b.started.end(), out.leases.begin(), out.leases.end());
    return out;
  });
}

void Engine::Retry(std::string queue, std::string id, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [q = std::move(queue), id = std::move(id), who = std::move(who)](
                                   Store& s, TimeMs now, Batch& b) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.Retry(q, id, now));
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "job.retry", q + "/" + id));
    b.changed = true;
    b.woken.insert(q);
    return Empty{};
  });
}

void Engine::Promote(std::string queue, std::string id, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [q = std::move(queue), id = std::move(id), who = std::move(who)](
                                   Store& s, TimeMs now, Batch& b) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.Promote(q, id, now));
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "job.promote", q + "/" + id));
    b.changed = true;
    b.woken.insert(q);
    return Empty{};
  });
}

void Engine::Remove(std::string queue, std::string id, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [q = std::move(queue), id = std::move(id), who = std::move(who)](
                                   Store& s, TimeMs now, Batch& b) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.Remove(q, id));
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "job.remove", q + "/" + id));
    b.changed = true;
    return Empty{};
  });
}

void Engine::SetPaused(std::string queue, bool paused, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [q = std::move(queue), paused, who = std::move(who)](Store& s, TimeMs now,
                                                                                     Batch& b) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.SetPaused(q, paused, now));
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, paused ? "queue.pause" : "queue.resume", q));
    b.changed = true;
    if (!paused) b.woken.insert(q);
    return Empty{};
  });
}

void Engine::EnsureQueue(std::string queue, Callback<Empty> cb, Actor who) {
  Submit<Empty>(std::move(cb), [q = std::move(queue), who = std::move(who)](Store& s, TimeMs now, Batch& b) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.CreateQueue(q, now));
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "queue.put", q));
    return Empty{};
  });
}

void Engine::UpdateQueue(std::string queue, QueueUpdate u, Callback<QueueInfo> cb, Actor who) {
  Submit<QueueInfo>(std::move(cb), [q = std::move(queue), u = std::move(u), who = std::move(who)](
                                       Store& s, TimeMs now, Batch& b) -> Result<QueueInfo> {
    CRONQ_RETURN_IF_ERROR(s.CreateQueue(q, now));
    if (u.push || u.defaults) {
      CRONQ_ASSIGN_OR_RETURN(QueueInfo before, s.GetQueue(q));
      QueueConfig c = std::move(before.config);
      if (u.push) c.push = *u.push;
      if (u.defaults) c.defaults = *u.defaults;
      CRONQ_RETURN_IF_ERROR(s.SetQueueConfig(q, c, now));
    }
    if (u.paused) {
      CRONQ_RETURN_IF_ERROR(s.SetPaused(q, *u.paused, now));
      b.changed = true;
      if (!*u.paused) b.woken.insert(q);
    }
    // What changed, never the secrets.
    std::string detail = "{";
    auto add = [&](const std::string& kv) { detail += (detail.size() > 1 ? "," : "") + kv; };
    if (u.paused) add(std::string("\"paused\":") + (*u.paused ? "true" : "false"));
    if (u.push) add(*u.push ? "\"push\":\"set\"" : "\"push\":null");
    if (u.defaults) add("\"defaultJobOptions\":\"set\"");
    detail += "}";
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "queue.put", q, detail));
    return s.GetQueue(q);
  });
}

void Engine::ListPushQueues(Callback<std::vector<PushQueue>> cb) {
  Submit<std::vector<PushQueue>>(std::move(cb), [](Store& s, TimeMs, Batch&) { return s.ListPushQueues(); });
}

// Bulk actions page through the queue's jobs in the state with the plain Store
// reads and moves, inside one batch, so every backend gets them for free.
void Engine::Clean(std::string queue, JobState state, TimeMs before, int limit, Callback<BulkResult> cb, Actor who) {
  Submit<BulkResult>(std::move(cb), [q = std::move(queue), state, before, limit, who = std::move(who)](
                                        Store& s, TimeMs now, Batch& b) -> Result<BulkResult> {
    if (state == JobState::kActive) return Status::InvalidArgument("active jobs cannot be cleaned: they hold a lease");
    BulkResult out;
    JobQuery query;
    query.state = state;
    query.to = before;
    query.limit = 500;
    while (out.count < limit) {
      CRONQ_ASSIGN_OR_RETURN(JobPage page, s.ListJobs(q, query));
      for (const Job& j : page.jobs) {
        if (out.count >= limit) break;
        if (j.finished_at != 0 && j.finished_at >= before) continue;
        if (Status st = s.Remove(q, j.id); !st.ok()) return b.fatal = st;  // some were removed: fail the batch
        ++out.count;
      }
      if (page.next_cursor.empty()) break;
      query.cursor = page.next_cursor;
    }
    b.changed = true;
    CRONQ_RETURN_IF_ERROR(Audit(s, b, who, now, "queue.clean", q,
                                      "{\"state\":\"" + std::string(StateName(state)) + "\",\"before\":" +
                                          std::to_string(before) + ",\"removed\":" + std::to_string(out.count) + "}"));
    return out;
  });
}

void Engine::RetryAllFailed(std::string queue, int limit, Callback<BulkResult> cb, Actor who) {
  Submit<BulkResult>(std::move(cb), [q = std::move(queue), limit, who = std::move(who)](Store& s, TimeMs now,
                                                                                        Batch& b) -> Result<BulkResult> {
    BulkResult out;
    JobQuery query;
    query.state = JobState::kFailed;
    query.limit = 500;
    while (out.count < limit) {
      CRONQ_ASSIGN_OR_RETURN(JobPage page, s.ListJobs(q, query));
      for (const Job& j : page.jobs) {
        if (out.count >= limit) break;
        if (Status st = s.Retry(q, j.id, now); !st.ok()) return b.fatal = st;  // some moved: fail the batch
        ++out.count;
      }
      // Retried jobs left the failed state: the next page starts again from the top.
      if (page.next_cursor.empty() || page.jobs.empty()) break;
    }
    if (out.count > 0) b.woken.insert(q);
    b.changed = true;
    CRONQ_RETURN_IF_ERROR(
        Audit(s, b, who, now, "queue.retry_failed", q, "{\"retried\":" + std::to_string(out.count) + "}"));
    return out;
  });
}

void Engine::ListAudit(AuditQuery q, Callback<AuditPage> cb) {
  Submit<AuditPage>(std::move(cb), [q = std::move(q)](Store& s, TimeMs, Batch&) { return s.ListAudit(q); });
}

void Engine::PutSession(std::string key, SessionRecord r, bool only_existing, Callback<Empty> cb) {
  Submit<Empty>(std::move(cb), [key = std::move(key), r = std::move(r), only_existing](Store& s, TimeMs now,
                                                                                       Batch&) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.PutSession(key, r, now, only_existing));
    return Empty{};
  });
}

void Engine::GetSession(std::string key, Callback<std::optional<SessionRecord>> cb) {
  Submit<std::optional<SessionRecord>>(std::move(cb), [key = std::move(key)](Store& s, TimeMs now, Batch&) {
    return s.GetSession(key, now);
  });
}

void Engine::DeleteSession(std::string key, Callback<Empty> cb) {
  Submit<Empty>(std::move(cb), [key = std::move(key)](Store& s, TimeMs, Batch&) -> Result<Empty> {
    CRONQ_RETURN_IF_ERROR(s.DeleteSession(key));
    return Empty{};
  });
}

void Engine::GetJob(std::string queue, std::string id, Callback<Job> cb) {
  Submit<Job>(std::move(cb), [q = std::move(queue), id = std::move(id)](Store& s, TimeMs, Batch&) {
    return s.GetJob(q, id);
  });
}

void Engine::ListJobs(std::string queue, JobQuery query, Callback<JobPage> cb) {
  Submit<JobPage>(std::move(cb), [q = std::move(queue), query = std::move(query)](Store& s, TimeMs, Batch&) {
    return s.ListJobs(q, query);
  });
}

void Engine::ListQueues(Callback<std::vector<QueueInfo>> cb) {
  Submit<std::vector<QueueInfo>>(std::move(cb), [](Store& s, TimeMs, Batch&) { return s.ListQueues(); });
}

void Engine::GetQueue(std::string queue, Callback<QueueInfo> cb) {
  Submit<QueueInfo>(std::move(cb), [q = std::move(queue)](Store& s, TimeMs, Batch&) { return s.GetQueue(q); });
}

// One structured line per job start and per attempt end (logfmt).
void Engine::LogStart(const Lease& l) {
  spdlog::info("event=job.start queue={} id={} name={} attempt={}", l.queue, l.id, l.name, l.attempt);
}

void Engine::LogEnd(const AttemptEnd& e) {
  spdlog::info("event=job.finish queue={} id={} name={} attempt={} outcome={} state={} duration_ms={}{}{}", e.queue,
               e.id, e.name, e.attempt, OutcomeName(e.outcome), StateName(e.state_after), e.ended_at - e.started_at,
               e.error.empty() ? "" : " error=", e.error.empty() ? "" : spdlog::fmt_lib::format("{:?}", e.error));
}

}  // namespace cronq
