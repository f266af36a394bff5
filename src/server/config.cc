#include "server/config.h"

#include "push/http_call.h"

#include <cstdlib>
#include <sstream>
#include <toml++/toml.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace cronq::server {
namespace {

Status UnknownKeys(const toml::table& t, std::initializer_list<std::string_view> known, const std::string& where) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (std::string_view n : known) ok = ok || k.str() == n;
    if (!ok) return Status::InvalidArgument("unknown key '" + std::string(k.str()) + "' in " + where);
  }
  return Status::Ok();
}

Result<Millis> NonNegative(const toml::table& t, const char* key, Millis def, const std::string& where) {
  const int64_t v = t[key].value_or(static_cast<int64_t>(def));
  if (v < 0) return Status::InvalidArgument(where + ": " + key + " must not be negative");
  return v;
}

// [alerts] and its [[alerts.webhooks]].
Status LoadAlerts(const toml::table& al, const std::string& path, push::AlertOptions& a) {
  const std::string where = path + " [alerts]";
  CRONQ_RETURN_IF_ERROR(UnknownKeys(al, {"webhooks", "job_failed", "schedule_missed", "schedule_late_ms",
                                         "oldest_waiting_ms", "check_every_ms", "max_per_minute", "attempts"},
                                    where));
  a.job_failed = al["job_failed"].value_or(a.job_failed);
  a.schedule_missed = al["schedule_missed"].value_or(a.schedule_missed);
  CRONQ_ASSIGN_OR_RETURN(a.schedule_late, NonNegative(al, "schedule_late_ms", a.schedule_late, where));
  CRONQ_ASSIGN_OR_RETURN(a.oldest_waiting, NonNegative(al, "oldest_waiting_ms", a.oldest_waiting, where));
  CRONQ_ASSIGN_OR_RETURN(a.check_every, NonNegative(al, "check_every_ms", a.check_every, where));
  if (a.check_every < 100) return Status::InvalidArgument(where + ": check_every_ms must be at least 100");
  a.max_per_minute = static_cast<int>(al["max_per_minute"].value_or(int64_t{a.max_per_minute}));
  a.attempts = static_cast<int>(al["attempts"].value_or(int64_t{a.attempts}));
  if (a.max_per_minute < 1) return Status::InvalidArgument(where + ": max_per_minute must be at least 1");
  if (a.attempts < 1 || a.attempts > 100) return Status::InvalidArgument(where + ": attempts must be 1..100");
  if (const toml::array* hooks = al["webhooks"].as_array()) {
    for (const toml::node& n : *hooks) {
      const toml::table* h = n.as_table();
      if (!h) return Status::InvalidArgument(where + ": each [[alerts.webhooks]] entry must be a table");
      CRONQ_RETURN_IF_ERROR(UnknownKeys(*h, {"url", "format"}, path + " [[alerts.webhooks]]"));
      push::Webhook w;
      w.url = (*h)["url"].value_or(std::string());
      w.format = (*h)["format"].value_or(std::string("json"));
      if (w.format != "json" && w.format != "slack")
        return Status::InvalidArgument(path + " [[alerts.webhooks]]: format must be \"json\" or \"slack\"");
      push::HttpCall probe;
      probe.url = w.url;
      probe.method = "POST";
      if (Status st = push::ValidateHttpCall(probe); !st.ok())
        return Status::InvalidArgument(path + " [[alerts.webhooks]]: " + st.message());
      a.webhooks.push_back(std::move(w));
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadConfigFile(const std::string& path, Config& cfg) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("config " + path + ": " + std::string(e.description()));
  }
  CRONQ_RETURN_IF_ERROR(UnknownKeys(
      t, {"data_dir", "listen", "redis", "redis_prefix", "threads", "admin_token", "log_level", "log_jobs", "body_limit",
          "schedule_lead_ms", "sqlite_cache_mib", "login_max_failures", "login_window_ms", "tokens", "schedules",
          "alerts", "push_ca_file"},
      path));
  cfg.data_dir = t["data_dir"].value_or(cfg.data_dir);
  cfg.listen = t["listen"].value_or(cfg.listen);
  cfg.redis = t["redis"].value_or(cfg.redis);
  cfg.redis_prefix = t["redis_prefix"].value_or(cfg.redis_prefix);
  cfg.threads = t["threads"].value_or(cfg.threads);
  cfg.admin_token = t["admin_token"].value_or(cfg.admin_token);
  cfg.log_level = t["log_level"].value_or(cfg.log_level);
  cfg.log_jobs = t["log_jobs"].value_or(cfg.log_jobs);
  cfg.push_ca_file = t["push_ca_file"].value_or(cfg.push_ca_file);
  const int64_t body_limit = t["body_limit"].value_or(static_cast<int64_t>(cfg.body_limit));
  if (body_limit < 1024 || body_limit > (int64_t{1} << 30))
    return Status::InvalidArgument(path + ": body_limit must be between 1024 and 1073741824 bytes");
  cfg.body_limit = static_cast<size_t>(body_limit);
  const int64_t lead = t["schedule_lead_ms"].value_or(static_cast<int64_t>(cfg.schedule_lead_ms));
  if (lead < 0 || lead > 60'000) return Status::InvalidArgument(path + ": schedule_lead_ms must be between 0 and 60000");
  cfg.schedule_lead_ms = lead;
  const int64_t cache = t["sqlite_cache_mib"].value_or(cfg.sqlite_cache_mib);
  if (cache < 1 || cache > 65'536)
    return Status::InvalidArgument(path + ": sqlite_cache_mib must be between 1 and 65536");
  cfg.sqlite_cache_mib = cache;
  const int64_t max_failures = t["login_max_failures"].value_or(int64_t{cfg.login.max_failures});
  if (max_failures < 1 || max_failures > 1000)
    return Status::InvalidArgument(path + ": login_max_failures must be between 1 and 1000");
  cfg.login.max_failures = static_cast<int>(max_failures);
  const int64_t window = t["login_window_ms"].value_or(int64_t{cfg.login.window});
  if (window < 1000 || window > 86'400'000)
    return Status::InvalidArgument(path + ": login_window_ms must be between 1000 and 86400000");
  cfg.login.window = window;
  if (const toml::array* arr = t["tokens"].as_array()) {
    for (const toml::node& n : *arr) {
      const toml::table* tok = n.as_table();
      if (!tok) return Status::InvalidArgument(path + ": each [[tokens]] entry must be a table");
      CRONQ_RETURN_IF_ERROR(UnknownKeys(*tok, {"name", "token", "scope"}, path + " [[tokens]]"));
      api::Token token;
      token.name = (*tok)["name"].value_or(std::string("token"));
      token.secret = (*tok)["token"].value_or(std::string());
      std::string scope = (*tok)["scope"].value_or(std::string());
      std::optional<api::Scope> s = api::ParseScope(scope);
      if (token.secret.size() < 16)
        return Status::InvalidArgument(path + ": token '" + token.name + "' must be at least 16 characters");
      if (!s) return Status::InvalidArgument(path + ": token '" + token.name + "' has scope '" + scope +
                                            "'; use admin, producer, worker or read");
      token.scope = *s;
      cfg.tokens.push_back(std::move(token));
    }
  }
  if (const toml::table* al = t["alerts"].as_table()) CRONQ_RETURN_IF_ERROR(LoadAlerts(*al, path, cfg.alerts));
  if (const toml::array* arr = t["schedules"].as_array()) {
    for (const toml::node& n : *arr) {
      const toml::table* sched = n.as_table();
      if (!sched) return Status::InvalidArgument(path + ": each [[schedules]] entry must be a table");
      std::optional<std::string> name = (*sched)["name"].value<std::string>();
      if (!name || name->empty()) return Status::InvalidArgument(path + ": a [[schedules]] entry has no name");
      toml::table body = *sched;
      body.erase("name");
      std::ostringstream json;  // the same fields as the HTTP body, so one parser checks both
      json << toml::json_formatter{body};
      cfg.schedules.emplace_back(*name, json.str());
    }
  }
  return Status::Ok();
}

Status ValidateConfig(const Config& cfg) {
  static const char* const kLevels[] = {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok = level_ok || cfg.log_level == l;
  if (!level_ok)
    return Status::InvalidArgument("log level '" + cfg.log_level + "': use trace, debug, info, warn, error or off");
  if (!cfg.admin_token.empty() && cfg.admin_token.size() < 16)
    return Status::InvalidArgument("the admin token must be at least 16 characters");
  if (cfg.threads < 0 || cfg.threads > 256) return Status::InvalidArgument("threads must be between 0 and 256");
  return Status::Ok();
}

Status LoadVercelCrons(Config& cfg) {
  if (cfg.vercel_json.empty()) return Status::Ok();
  if (cfg.base_url.empty()) return Status::InvalidArgument("--vercel-json needs --base-url, the app's address");
  std::ifstream in(cfg.vercel_json);
  if (!in) return Status::InvalidArgument("cannot read " + cfg.vercel_json);
  nlohmann::json v = nlohmann::json::parse(in, nullptr, false);
  if (v.is_discarded() || !v.is_object()) return Status::InvalidArgument(cfg.vercel_json + " is not valid JSON");
  if (!v.contains("crons")) return Status::Ok();
  if (!v["crons"].is_array()) return Status::InvalidArgument(cfg.vercel_json + ": crons must be an array");
  std::string base = cfg.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const char* secret = std::getenv("CRON_SECRET");
  for (const nlohmann::json& c : v["crons"]) {
    if (!c.is_object() || !c.contains("path") || !c["path"].is_string() || !c.contains("schedule") ||
        !c["schedule"].is_string())
      return Status::InvalidArgument(cfg.vercel_json + ": each cron needs a path and a schedule");
    const std::string path = c["path"].get<std::string>();
    if (path.empty() || path[0] != '/') return Status::InvalidArgument(cfg.vercel_json + ": path must start with /");
    std::string name = "vercel";
    for (char ch : path.substr(0, path.find('?'))) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                      ch == '_';
      name += ch == '/' ? '.' : (ok ? ch : '-');
    }
    while (name.size() > 1 && name.back() == '.') name.pop_back();
    nlohmann::json target = {{"url", base + path}, {"method", "GET"}};
    if (secret && *secret) target["bearer"] = secret;
    nlohmann::json body = {{"cron", c["schedule"]}, {"tz", "UTC"}, {"target", target}};
    name = name.substr(0, 128);
    for (const auto& [other, unused] : cfg.schedules)
      if (other == name)
        return Status::InvalidArgument(cfg.vercel_json + ": two crons map to the schedule name " + name +
                                       " (paths that differ only in punctuation or query)");
    cfg.schedules.emplace_back(name, body.dump());
  }
  return Status::Ok();
}

void ApplyEnvironment(Config& cfg) {
  if (const char* v = std::getenv("CRONQ_DATA"); v && *v) cfg.data_dir = v;
  if (const char* v = std::getenv("CRONQ_LISTEN"); v && *v) cfg.listen = v;
  if (const char* v = std::getenv("CRONQ_REDIS"); v && *v) cfg.redis = v;
  if (const char* v = std::getenv("CRONQ_ADMIN_TOKEN"); v && *v) cfg.admin_token = v;
  if (const char* v = std::getenv("CRONQ_LOG_LEVEL"); v && *v) cfg.log_level = v;
  if (const char* v = std::getenv("CRONQ_PUSH_CA_FILE"); v && *v) cfg.push_ca_file = v;
}

}  // namespace cronq::server
