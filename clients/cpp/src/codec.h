// JSON for the client: job options to the wire, server answers to structs.
// Private to the client library.
#pragma once

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "cronq/client/queue.h"

namespace cronq::client::codec {

// Checks what is cheap to check here and builds {name, data, opts}.
// `where` prefixes messages ("jobs[3]: ").
Result<nlohmann::json> EncodeJob(const std::string& where, const std::string& name, const nlohmann::json& data,
                                 const JobOptions& options);
JobInfo DecodeJobInfo(const nlohmann::json& j);
JobCounts DecodeCounts(const nlohmann::json& queue);

// A string field, or "" when absent or null.
std::string Str(const nlohmann::json& j, const char* key);
// An integer field, or `fallback` when absent or not a number.
int64_t Int(const nlohmann::json& j, const char* key, int64_t fallback = 0);

}  // namespace cronq::client::codec
