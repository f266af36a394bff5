#include "api/events.h"

#include <nlohmann/json.hpp>

#include "api/json_codec.h"

namespace cronq::api {
namespace {

constexpr Millis kPingEvery = 15'000;

std::string Event(std::string_view name, const json& data) {
  std::string out = "event: ";
  out += name;
  out += "\ndata: ";
  out += data.dump(-1, ' ', false, json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

}  // namespace

EventHub::EventHub(Engine& engine, Clock& clock, Millis interval)
    : engine_(engine), clock_(clock), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

EventHub::~EventHub() { Stop(); }

void EventHub::Stop() {
  std::vector<std::shared_ptr<net::StreamWriter>> streams;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    streams.swap(streams_);
  }
  listening_ = false;
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  for (auto& w : streams) w->Close();
}

size_t EventHub::streams() const {
  std::lock_guard lk(mu_);
  return streams_.size();
}

void EventHub::Add(std::shared_ptr<net::StreamWriter> w) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return w->Close();
    streams_.push_back(std::move(w));
    dirty_ = true;
  }
  listening_ = true;
  cv_.notify_all();
}

void EventHub::OnBatch(const BatchReport& r) {
  if (!listening_.load(std::memory_order_relaxed)) return;
  std::lock_guard lk(mu_);
  dirty_ = true;
  auto add = [this](const std::string& q, const std::string& id, JobState st) {
    if (changes_.size() < kMaxChanges) changes_.push_back(Change{q, id, st});
    else dropped_++;
  };
  for (const Lease& l : r.started) add(l.queue, l.id, JobState::kActive);
  for (const AttemptEnd& e : r.ended) add(e.queue, e.id, e.state_after);
  for (const SlotRecord& s : r.slots)
    if (slots_.size() < kMaxChanges) slots_.push_back(SlotChange{s.schedule, s.due_at, s.status});
}

void EventHub::Broadcast(const std::string& bytes) {
  std::lock_guard lk(mu_);
  std::erase_if(streams_, [&](const std::shared_ptr<net::StreamWriter>& w) { return !w->Write(bytes); });
  listening_ = !streams_.empty();
}

void EventHub::Loop() {
  TimeMs last_write = clock_.Now();
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(interval_));
    if (stopping_) break;
    std::erase_if(streams_, [](const std::shared_ptr<net::StreamWriter>& w) { return w->closed(); });
    listening_ = !streams_.empty();
    if (streams_.empty()) {
      changes_.clear();
      slots_.clear();
      dropped_ = 0;
      dirty_ = false;
      continue;
    }
    const TimeMs now = clock_.Now();
    if (!dirty_) {
      if (now - last_write >= kPingEvery) {
        lk.unlock();
        Broadcast(": ping\n\n");
        lk.lock();
        last_write = now;
      }
      continue;
    }
    dirty_ = false;
    std::vector<Change> changes;
    std::vector<SlotChange> slots;
    changes.swap(changes_);
    slots.swap(slots_);
    size_t dropped = std::exchange(dropped_, 0);
    lk.unlock();
    std::string jobs_event;
    if (!changes.empty() || !slots.empty() || dropped) {
      json cj = json::array(), sj = json::array();
      for (const Change& c : changes) cj.push_back({{"queue", c.queue}, {"id", c.id}, {"state", StateName(c.state)}});
      for (const SlotChange& s : slots)
        sj.push_back({{"schedule", s.schedule}, {"due", s.due}, {"status", SlotStatusName(s.status)}});
      jobs_event = Event("jobs", {{"changes", std::move(cj)}, {"slots", std::move(sj)}, {"dropped", dropped}});
    }
    // The counts come from the engine; the answer is sent from the thread it arrives on.
    engine_.ListQueues([this, jobs_event = std::move(jobs_event), now](Result<std::vector<QueueInfo>> r) {
      std::string out = jobs_event;
      if (r.ok()) {
        json qs = json::array();
        const std::map<std::string, int> workers = engine_.metrics().Workers(now, kWorkerWindow);
        for (const QueueInfo& q : *r) {
          qs.push_back(QueueJson(q, now));
          auto w = workers.find(q.name);
          qs.back()["workers"] = w == workers.end() ? 0 : w->second;
        }
        out += Event("counts", {{"queues", std::move(qs)}, {"at", now}});
      }
      if (!out.empty()) Broadcast(out);
    });
    last_write = now;
    lk.lock();
  }
}

}  // namespace cronq::api
