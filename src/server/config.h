// Server configuration: defaults, then the TOML file, then the environment, then
// command-line flags (each later source wins). docs/configuration.md lists all.
#pragma once

#include <string>
#include <vector>

#include "api/auth.h"
#include "core/status.h"

namespace cronq::server {

struct Config {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:7700";
  int threads = 0;  // HTTP I/O threads; 0: one per core
  std::string admin_token;  // empty: CRONQ_ADMIN_TOKEN, then data/admin.token, else generated
  std::vector<api::Token> tokens;  // extra scoped tokens
  std::string log_level = "info";
  bool log_jobs = true;
  size_t body_limit = 16 * 1024 * 1024;
  bool durable = true;  // fsync every commit; only benchmarks of "unsafe" mode turn it off
};

// Reads a cronq.toml file into `cfg`. Unknown keys are errors, so typos show.
Status LoadConfigFile(const std::string& path, Config& cfg);
// Applies CRONQ_* environment variables.
void ApplyEnvironment(Config& cfg);
// Checks the merged configuration (log level, limits, token lengths).
Status ValidateConfig(const Config& cfg);

}  // namespace cronq::server
