// The rules of a push queue's configuration (docs/push-protocol.md).
#pragma once

#include "core/queue_config.h"
#include "core/status.h"

namespace cronq::push {

inline constexpr Millis kPushTimeoutMax = 900'000;  // 15 minutes per attempt
inline constexpr int kPushConcurrencyMax = 256;
inline constexpr size_t kSecretMax = 1024;
inline constexpr size_t kExtraHeadersMax = 32;

// The URL is http(s) and parses; 1 or 2 non-empty secrets; timeout 1..15 min;
// concurrency 1..256; a rate limit, when set, is max >= 1 per 1 ms..1 day; extra
// headers are valid and do not set framing headers, Content-Type, User-Agent or
// any Cronq-* header. Messages name the field at fault ("push.url ...").
Status ValidatePushConfig(const PushConfig& p);

}  // namespace cronq::push
