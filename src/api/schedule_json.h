// JSON <-> schedules for the HTTP API (docs/http-api.md, "Schedules").
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "engine/engine.h"

namespace cronq::api {

// Validates everything: the cron expression and zone parse, the target queue and
// job are valid, the policies are consistent.
Result<ScheduleDef> ParseSchedule(const nlohmann::json& j, const std::string& name);

// `next_runs`: how many upcoming instants to preview.
// `now` places slots claimed ahead: nextDue and nextRuns start at the first slot
// after now when that comes before the stored next due slot (it was claimed ahead
// and has not come yet), so they show the upcoming runs either way.
nlohmann::json ScheduleJson(const ScheduleState& st, int next_runs, TimeMs now);
nlohmann::json SlotJson(const SlotRecord& r);

// Replaces secret header values (Authorization, *secret*, *token*) of an HTTP
// request description with "***", for answers that read-only tokens may see.
void MaskSecrets(nlohmann::json& request);

}  // namespace cronq::api
