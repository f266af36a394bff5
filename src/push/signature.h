// The push signature (docs/push-protocol.md):
//   Cronq-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]
// v1 = lowercase hex of HMAC-SHA256(key = secret, message = "<t>.<body>"), one
// entry per configured secret, current first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cronq::push {

std::string HmacSha256Hex(std::string_view key, std::string_view message);
std::string SignatureHeader(int64_t unix_seconds, std::string_view body, const std::vector<std::string>& secrets);

}  // namespace cronq::push
