// Server configuration: defaults, then the TOML file, then the environment, then
// command-line flags (each later source wins). docs/configuration.md lists all.
#pragma once

#include <string>
#include <vector>

#include "api/auth.h"
#include "api/login_limiter.h"
#include "push/alerts.h"
#include "core/limits.h"
#include "core/status.h"

namespace cronq::server {

struct Config {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:7700";
  // redis://host:port/db: keep the state in Redis instead of data_dir/cronq.db,
  // so several replicas can share it (docs/deployment.md).
  std::string redis;
  std::string redis_prefix = "cronq:";
  int threads = 0;  // HTTP I/O threads; 0: one per core
  std::string admin_token;  // empty: CRONQ_ADMIN_TOKEN, then data/admin.token, else generated
  std::vector<api::Token> tokens;  // extra scoped tokens
  std::string log_level = "info";
  bool log_jobs = true;
  size_t body_limit = limits::kBody;
  // How long before its due instant a slot of a schedule with overlap allow is
  // claimed, its job enqueued delayed until then (EngineOptions::schedule_lead).
  Millis schedule_lead_ms = 1'000;
  // SQLite's page cache. Small on purpose: SQLite scans the whole cache at most
  // commits (docs/storage-format.md#connection-settings), so a bigger one costs CPU per commit.
  int64_t sqlite_cache_mib = 16;
  bool durable = true;  // fsync every commit; only benchmarks of "unsafe" mode turn it off
  // [[schedules]] from the config file: (name, the PUT /v1/schedules body as JSON).
  // Upserted at every start, so the file is the source of truth for them.
  std::vector<std::pair<std::string, std::string>> schedules;
  // A Next.js app's vercel.json: its `crons` become URL schedules on base_url,
  // called with GET and `Authorization: Bearer $CRON_SECRET` like Vercel Cron.
  std::string vercel_json;
  std::string base_url;
  // A PEM file of CAs trusted for https push and URL targets, besides the system
  // store (which SSL_CERT_FILE / SSL_CERT_DIR can also point elsewhere).
  std::string push_ca_file;
  // Dashboard login attempt limiting: wrong tokens allowed per client address
  // within the window before POST /v1/session answers 429 (api/login_limiter.h).
  api::LoginLimits login;
  // [alerts]: webhooks called when jobs fail for good, schedule slots are missed
  // or late, or a queue's oldest waiting job is too old.
  push::AlertOptions alerts;
};

// Reads vercel.json's crons into cfg.schedules (names "vercel.<path>").
Status LoadVercelCrons(Config& cfg);

// Reads a cronq.toml file into `cfg`. Unknown keys are errors, so typos show.
Status LoadConfigFile(const std::string& path, Config& cfg);
// Applies CRONQ_* environment variables.
void ApplyEnvironment(Config& cfg);
// Checks the merged configuration (log level, limits, token lengths).
Status ValidateConfig(const Config& cfg);

}  // namespace cronq::server
