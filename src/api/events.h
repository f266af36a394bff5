// The live event stream, GET /v1/events (server-sent events).
//
// The engine reports each committed batch (OnBatch, engine thread): the hub keeps
// the job state changes in a bounded list, and only while someone listens. A
// thread of its own wakes every `interval`; when something changed it asks the
// engine for the queue counts and sends every stream, in one write each:
//
//   event: jobs     data: {"changes":[{"queue","id","state"}...],"slots":[...],"dropped":N}
//   event: counts   data: {"queues":[<queue JSON as in GET /v1/queues>], "at": ms}
//
// So a stream gets at most one update per interval however busy cronq is, and an
// idle cronq sends only a comment line every 15 s (which also finds dead clients).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "engine/engine.h"
#include "net/http.h"

namespace cronq::api {

class EventHub {
 public:
  EventHub(Engine& engine, Clock& clock, Millis interval);
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // A new stream: it gets the current counts at the next tick.
  void Add(std::shared_ptr<net::StreamWriter> w);
  // Engine thread: what a committed batch changed.
  void OnBatch(const BatchReport& r);
  // Closes every stream and joins the thread. Idempotent.
  void Stop();
  size_t streams() const;

 private:
  struct Change {
    std::string queue, id;
    JobState state;
  };
  struct SlotChange {
    std::string schedule;
    TimeMs due;
    SlotStatus status;
  };
  void Loop();
  void Broadcast(const std::string& bytes);

  static constexpr size_t kMaxChanges = 500;  // per tick; more are counted as dropped

  Engine& engine_;
  Clock& clock_;
  const Millis interval_;
  std::atomic<bool> listening_{false};  // any stream open: only then does OnBatch collect

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<net::StreamWriter>> streams_;  // guarded by mu_
  std::vector<Change> changes_;                              // guarded by mu_
  std::vector<SlotChange> slots_;                            // guarded by mu_
  size_t dropped_ = 0;                                       // guarded by mu_
  bool dirty_ = false;                                       // guarded by mu_
  bool stopping_ = false;                                    // guarded by mu_
  std::thread thread_;
};

}  // namespace cronq::api
