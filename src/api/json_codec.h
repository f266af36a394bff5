// JSON <-> domain types for the HTTP API. Shapes follow BullMQ where it has one
// (docs/http-api.md and docs/openapi.yaml are the reference).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/limits.h"
#include "core/status.h"
#include "engine/engine.h"
#include "storage/store.h"

namespace cronq::api {

using nlohmann::json;

// InvalidArgument naming the first key of `obj` not in `allowed` ("unknown field 'x' in what").
Status CheckKeys(const json& obj, std::initializer_list<std::string_view> allowed, const char* what);

// Parses a request body with the depth limit; errors are InvalidArgument.
Result<json> ParseBody(std::string_view body);

// {name, data, opts} -> NewJob, validated.
Result<NewJob> ParseNewJob(const json& j);
Result<JobOptions> ParseOptions(const json& j);

struct FetchBody {
  int max = 1;
  Millis wait_ms = 0;
  Millis lock_ms = limits::kLockDefault;
  std::string worker;
};
Result<FetchBody> ParseFetch(const json& j);

// Complete / fail / extend bodies; queue and id come from the path.
Result<CompleteSpec> ParseComplete(const json& j, std::string queue, std::string id);
Result<FailSpec> ParseFail(const json& j, std::string queue, std::string id);
Result<ExtendSpec> ParseExtend(const json& j, std::string queue, std::string id);

// PUT /v1/queues/{queue}: {paused, push, defaultJobOptions}, each optional.
Result<QueueUpdate> ParseQueueUpdate(const json& j);

json OptionsJson(const JobOptions& o);
json JobJson(const Job& j, bool detail);
// With the push config, its secrets masked.
json QueueJson(const QueueInfo& q, TimeMs now);
// The fetch answer, written directly: job data is already JSON text.
std::string LeasesJson(const std::vector<Lease>& leases);

}  // namespace cronq::api
