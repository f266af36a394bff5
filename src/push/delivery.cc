#include "push/delivery.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "push/signature.h"

namespace cronq::push {
namespace {

using nlohmann::json;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// The body as the job's result: JSON when it is JSON, else a string; null when empty.
std::string ResultOf(const std::string& body) {
  if (body.empty()) return "null";
  if (body.size() <= kResultCap) {
    json j = json::parse(body, nullptr, false);
    if (!j.is_discarded()) return j.dump();
  }
  return json(PrintableUtf8(body, kResultCap)).dump();
}

}  // namespace

std::string PrintableUtf8(std::string_view in, size_t max) {
  std::string out;
  for (size_t i = 0; i < in.size() && out.size() < max;) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= in.size() && out.size() + n <= max;
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
    if (ok && (n > 1 || c >= 0x20 || c == '\n' || c == '\t')) {
      out.append(in, i, n);
      i += n;
    } else {
      out += '?';
      i += 1;
    }
  }
  return out;
}

std::string PushBody(const Lease& l) {
  std::string out = "{\"id\":" + json(l.id).dump() + ",\"queue\":" + json(l.queue).dump() +
                    ",\"name\":" + json(l.name).dump() + ",\"data\":" + (l.data.empty() ? "null" : l.data) +
                    ",\"attempt\":" + std::to_string(l.attempt);
  if (!l.fire_id.empty()) out += ",\"fireId\":" + json(l.fire_id).dump();
  out += '}';
  return out;
}

net::Fields PushHeaders(const Lease& l, const PushConfig& c, std::string_view body, int64_t unix_seconds) {
  net::Fields h = {{"Content-Type", "application/json"},
                   {"User-Agent", std::string(kUserAgent)},
                   {"Cronq-Job-Id", l.id},
                   {"Cronq-Queue", l.queue},
                   {"Cronq-Attempt", std::to_string(l.attempt)}};
  if (!l.fire_id.empty()) h.emplace_back("Cronq-Fire-Id", l.fire_id);
  h.emplace_back("Cronq-Signature", SignatureHeader(unix_seconds, body, c.secrets));
  h.insert(h.end(), c.headers.begin(), c.headers.end());
  return h;
}

std::optional<Millis> ParseRetryAfter(std::string_view value, TimeMs now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 7) return kRetryAfterCap;  // more than a million seconds
    return std::min<Millis>(std::stoll(std::string(value)) * 1000, kRetryAfterCap);
  }
  // An HTTP-date: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), or the obsolete
  // RFC 850 and asctime forms.
  static const char* const kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                         "%a %b %e %H:%M:%S %Y"};
  const std::string text(value);
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), f, &tm);
    if (end == nullptr || *end != '\0') continue;
    const TimeMs at = static_cast<TimeMs>(timegm(&tm)) * 1000;
    return std::clamp<Millis>(at - now, 0, kRetryAfterCap);
  }
  return std::nullopt;
}

Verdict Judge(const net::CallResult& r, TimeMs now) {
  Verdict v;
  if (!r.ok()) {
    v.timed_out = r.error == net::CallError::kTimeout;
    v.message = v.timed_out ? "timeout: " + r.message : r.message;
    return v;
  }
  const net::ClientResponse& a = r.response;
  if (a.status >= 200 && a.status < 300) {
    v.complete = true;
    v.result = ResultOf(a.body);
    return v;
  }
  v.message = "HTTP " + std::to_string(a.status);
  if (a.status >= 300 && a.status < 400) {
    const std::string_view to = a.Header("location");
    v.message += " redirect (not followed)" + (to.empty() ? std::string() : " to " + PrintableUtf8(to, 200));
  } else if (!a.body.empty()) {
    v.message += ": " + PrintableUtf8(a.body, 200);
  }
  if (EqualsIgnoreCase(Trim(a.Header("cronq-no-retry")), "true")) {
    v.unrecoverable = true;
    v.message += " (Cronq-No-Retry: true)";
    return v;
  }
  if (a.status == 429 || a.status == 503) v.retry_delay = ParseRetryAfter(a.Header("retry-after"), now);
  return v;
}

}  // namespace cronq::push
