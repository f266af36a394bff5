// The stored form of a queue's configuration, shared by every backend: JSON
// text, so that a field added later reads back from older rows as its default.
// Secrets are stored as they are: cronq needs them to sign.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/queue_config.h"

namespace cronq {

std::string EncodePushConfig(const PushConfig& p);
// nullopt for text that is not an encoded push config.
std::optional<PushConfig> DecodePushConfig(std::string_view text);

std::string EncodeJobDefaults(const JobDefaults& d);  // "" for empty defaults
JobDefaults DecodeJobDefaults(std::string_view text);

}  // namespace cronq
