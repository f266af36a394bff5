// cronq: the server and its command-line client in one binary.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/cron_next.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"cronq: durable background jobs and cron for web apps"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cronq 0.1.0");
  int rc = 0;

  // Options every client command shares.
  auto client = std::make_shared<cronq::cli::ClientOptions>();
  if (const char* u = std::getenv("CRONQ_URL"); u && *u) client->url = u;
  if (const char* d = std::getenv("CRONQ_DATA"); d && *d) client->data_dir = d;
  app.add_option("--url", client->url, "Server URL (env CRONQ_URL)")->default_str(client->url);
  app.add_option("--token", client->token, "API token (env CRONQ_TOKEN; default: DATA/admin.token)");
  app.add_option("--data", client->data_dir, "Data folder, for the token file (and for serve)");
  app.add_flag("--json", client->json, "Print JSON instead of tables");

  // serve
  cronq::server::Config cfg;
  std::string config_file;
  bool no_job_logs = false, unsafe_no_fsync = false;
  CLI::App* serve = app.add_subcommand("serve", "Run the server in the foreground");
  serve->add_option("--config", config_file, "TOML configuration file");
  serve->add_option("--listen", cfg.listen, "Address to listen on (default 127.0.0.1:7700)");
  serve->add_option("--redis", cfg.redis, "Keep the state in Redis (redis://host:port/db) for several replicas");
  serve->add_option("--threads", cfg.threads, "HTTP threads (default: cores - 1, at least 1)");
  serve->add_option("--log-level", cfg.log_level, "trace, debug, info, warn, error");
  serve->add_flag("--no-job-logs", no_job_logs, "Do not log a line per job start and finish");
  serve->add_option("--vercel-json", cfg.vercel_json, "Run a Next.js app's vercel.json crons (needs --base-url)");
  serve->add_option("--base-url", cfg.base_url, "The app's address for --vercel-json, e.g. http://127.0.0.1:3000");
  serve->add_option("--push-ca-file", cfg.push_ca_file, "Extra CA certificates (PEM) trusted for https targets");
  serve->add_flag("--unsafe-no-fsync", unsafe_no_fsync, "Do not fsync commits (benchmarks only: loses jobs on power loss)");
  serve->callback([&] {
    cronq::server::Config merged;
    if (!config_file.empty()) {
      cronq::Status st = cronq::server::LoadConfigFile(config_file, merged);
      if (!st.ok()) {
        std::cerr << "cronq: " << st.message() << "\n";
        rc = 2;
        return;
      }
    }
    cronq::server::ApplyEnvironment(merged);
    // Flags given on the command line win over file and environment.
    if (serve->count("--listen")) merged.listen = cfg.listen;
    if (serve->count("--threads")) merged.threads = cfg.threads;
    if (serve->count("--redis")) merged.redis = cfg.redis;
    if (serve->count("--log-level")) merged.log_level = cfg.log_level;
    if (app.count("--data")) merged.data_dir = client->data_dir;
    if (no_job_logs) merged.log_jobs = false;
    if (!cfg.vercel_json.empty()) merged.vercel_json = cfg.vercel_json;
    if (!cfg.base_url.empty()) merged.base_url = cfg.base_url;
    if (!cfg.push_ca_file.empty()) merged.push_ca_file = cfg.push_ca_file;
    if (unsafe_no_fsync) merged.durable = false;
    rc = cronq::server::RunServer(merged);
  });

  cronq::cli::AddClientCommands(app, client, rc);

  // cron next: a local calculation, no server needed.
  CLI::App* cron = app.add_subcommand("cron", "Cron expression tools");
  cron->require_subcommand(1);
  std::string expr, tz = "UTC", from;
  int count = 5;
  CLI::App* next = cron->add_subcommand("next", "Print the next fire instants of an expression");
  next->add_option("expr", expr, "Cron expression (5 or 6 fields, or @macro)")->required();
  next->add_option("--tz", tz, "IANA time zone (default UTC)");
  next->add_option("--from", from, "Start instant, ISO-8601 (default: now)");
  next->add_option("--count", count, "How many instants (default 5)");
  next->callback([&] {
    if (from.empty()) {
      auto now = std::chrono::system_clock::now();
      std::time_t t = std::chrono::system_clock::to_time_t(now);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
      from = buf;
    }
    rc = cronq::CronNextMain(expr, tz, from, count, std::cout, std::cerr);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return rc;
}
