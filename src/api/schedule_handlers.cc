// Schedule endpoints: parse, call the engine, serialize.
#include <nlohmann/json.hpp>

#include "api/api_ctx.h"
#include "api/schedule_json.h"

namespace cronq::api {
namespace {

int QueryCount(const net::HttpRequest& req, const char* name, int def, int max) {
  std::optional<std::string> v = req.Query(name);
  if (!v || v->empty()) return def;
  try {
    return std::clamp(std::stoi(*v), 0, max);
  } catch (...) {
    return def;
  }
}

}  // namespace

void Api::ListSchedules(Ctx& c) {
  engine_.ListSchedules(c.Then<std::vector<ScheduleState>>([this](Ctx& c, std::vector<ScheduleState> all) {
    json arr = json::array();
    const TimeMs now = clock_.Now();
    for (const ScheduleState& s : all) arr.push_back(ScheduleJson(s, 1, now));
    c.Json(200, {{"schedules", std::move(arr)}});
  }));
}

void Api::GetSchedule(Ctx& c) {
  const int next = QueryCount(c.req, "next", 5, 100);
  const int history = QueryCount(c.req, "history", 50, 1000);
  engine_.GetSchedule(c.queue, history, c.Then<ScheduleView>([this, next](Ctx& c, ScheduleView v) {
    json j = ScheduleJson(v.state, next, clock_.Now());
    json slots = json::array();
    for (const SlotRecord& r : v.slots) slots.push_back(SlotJson(r));
    j["history"] = std::move(slots);
    c.Json(200, j);
  }));
}

// Idempotent upsert: any number of app instances may PUT the same schedule at boot.
void Api::PutSchedule(Ctx& c) {
  Result<json> body = c.Body();
  if (!body.ok()) return c.Error(body.status());
  Result<ScheduleDef> def = ParseSchedule(*body, c.queue);
  if (!def.ok()) return c.Error(def.status());
  engine_.PutSchedule(std::move(def).value(), c.Then<ScheduleView>([this](Ctx& c, ScheduleView v) {
    json j = ScheduleJson(v.state, 5, clock_.Now());
    json slots = json::array();
    for (const SlotRecord& r : v.slots) slots.push_back(SlotJson(r));
    j["history"] = std::move(slots);
    c.Json(200, j);
  }), ActorOf(c));
}

void Api::DeleteSchedule(Ctx& c) {
  engine_.DeleteSchedule(c.queue, c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}}); }), ActorOf(c));
}

void Api::TriggerSchedule(Ctx& c) {
  const std::string name = c.queue;
  engine_.TriggerSchedule(name, c.Then<SlotClaim>([name](Ctx& c, SlotClaim claim) {
    c.Json(201, {{"ok", true}, {"jobId", claim.job_id}, {"state", StateName(claim.job_state)}});
  }), ActorOf(c));
}

void Api::PauseSchedule(Ctx& c) {
  engine_.SetSchedulePaused(c.queue, true,
                            c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}, {"paused", true}}); }), ActorOf(c));
}

void Api::ResumeSchedule(Ctx& c) {
  engine_.SetSchedulePaused(c.queue, false,
                            c.Then<Empty>([](Ctx& c, Empty) { c.Json(200, {{"ok", true}, {"paused", false}}); }),
                            ActorOf(c));
}

}  // namespace cronq::api
