#include "storage/queue_config_codec.h"

#include <nlohmann/json.hpp>

namespace cronq {
namespace {

using nlohmann::json;

json BackoffJson(const Backoff& b) {
  return {{"type", static_cast<int>(b.type)}, {"delay", b.delay}, {"jitter", b.jitter}, {"maxDelay", b.max_delay}};
}

}  // namespace

std::string EncodePushConfig(const PushConfig& p) {
  json headers = json::array();
  for (const auto& [k, v] : p.headers) headers.push_back({k, v});
  return json{{"url", p.url},
              {"secrets", p.secrets},
              {"timeoutMs", p.timeout},
              {"concurrency", p.concurrency},
              {"rateMax", p.rate.max},
              {"ratePerMs", p.rate.per},
              {"headers", std::move(headers)}}
      .dump();
}

std::optional<PushConfig> DecodePushConfig(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("url") || !j["url"].is_string()) return std::nullopt;
  try {
    PushConfig p;
    p.url = j["url"].get<std::string>();
    p.secrets = j.value("secrets", std::vector<std::string>{});
    p.timeout = j.value("timeoutMs", p.timeout);
    p.concurrency = j.value("concurrency", p.concurrency);
    p.rate.max = j.value("rateMax", 0);
    p.rate.per = j.value("ratePerMs", Millis{0});
    if (j.contains("headers"))
      for (const json& h : j["headers"]) p.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
    return p;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string EncodeJobDefaults(const JobDefaults& d) {
  if (d.empty()) return {};
  json j = json::object();
  if (d.attempts) j["attempts"] = *d.attempts;
  if (d.backoff) j["backoff"] = BackoffJson(*d.backoff);
  return j.dump();
}

JobDefaults DecodeJobDefaults(std::string_view text) {
  JobDefaults d;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return d;
  try {
    if (j.contains("attempts")) d.attempts = j["attempts"].get<int>();
    if (j.contains("backoff")) {
      const json& b = j["backoff"];
      d.backoff = Backoff{static_cast<Backoff::Type>(b.value("type", 0)), b.value("delay", Millis{0}),
                          b.value("jitter", 0.0), b.value("maxDelay", Millis{0})};
    }
  } catch (const json::exception&) {
    return JobDefaults{};
  }
  return d;
}

}  // namespace cronq
