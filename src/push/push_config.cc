#include "push/push_config.h"

#include <cctype>

#include "net/http.h"
#include "push/http_call.h"

namespace cronq::push {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Status ValidatePushConfig(const PushConfig& p) {
  if (p.url.size() > 2048) return Status::InvalidArgument("push.url is longer than 2048 characters");
  Result<net::Url> url = net::ParseUrl(std::string_view(p.url).substr(0, p.url.find('?')));
  if (!url.ok()) return Status::InvalidArgument("push.url: " + url.status().message());
  if (p.secrets.empty() || p.secrets.size() > 2)
    return Status::InvalidArgument("push.secrets must hold one or two secrets (current, next)");
  for (const std::string& s : p.secrets)
    if (s.empty() || s.size() > kSecretMax || !IsHeaderValue(s))
      return Status::InvalidArgument("push.secrets must be non-empty one-line strings of at most 1024 bytes");
  if (p.timeout < 1 || p.timeout > kPushTimeoutMax)
    return Status::InvalidArgument("push.timeoutMs must be between 1 and " + std::to_string(kPushTimeoutMax));
  if (p.concurrency < 1 || p.concurrency > kPushConcurrencyMax)
    return Status::InvalidArgument("push.concurrency must be between 1 and " + std::to_string(kPushConcurrencyMax));
  if (p.rate.max != 0 || p.rate.per != 0) {
    if (p.rate.max < 1 || p.rate.max > 1'000'000 || p.rate.per < 1 || p.rate.per > 86'400'000)
      return Status::InvalidArgument("push.rateLimit must be {max: 1..1000000, perMs: 1..86400000}");
  }
  if (p.headers.size() > kExtraHeadersMax) return Status::InvalidArgument("push.headers: at most 32 headers");
  for (const auto& [k, v] : p.headers) {
    if (!IsHeaderName(k) || !IsHeaderValue(v))
      return Status::InvalidArgument("push.headers must map header names (letters, digits, -) to one-line strings");
    const std::string lower = Lower(k);
    if (IsFramingHeader(lower) || lower == "content-type" || lower == "user-agent" || lower.rfind("cronq-", 0) == 0)
      return Status::InvalidArgument("push.headers must not set " + k + ": cronq sets it");
  }
  return Status::Ok();
}

}  // namespace cronq::push
