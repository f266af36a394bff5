#include "server/server.h"

#include <openssl/rand.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/api.h"
#include "dashboard/dashboard.h"
#include "api/json_codec.h"
#include "api/schedule_json.h"
#include "core/validate.h"
#include "engine/await.h"
#include "engine/engine.h"
#include "net/http_server.h"
#include "push/deliverer.h"
#include "push/alerts.h"
#include "push/http_caller.h"
#include "storage/redis_store.h"
#include "storage/sqlite_store.h"

namespace cronq::server {
namespace {

namespace fs = std::filesystem;

std::string RandomToken() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* kHex = "0123456789abcdef";
  std::string out = "cq_";
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// The admin token: configured, or saved in the data folder, or generated now.
Result<std::string> AdminToken(const Config& cfg, bool& generated) {
  generated = false;
  if (!cfg.admin_token.empty()) return cfg.admin_token;
  const fs::path file = fs::path(cfg.data_dir) / "admin.token";
  if (std::ifstream in(file); in) {
    std::string t;
    std::getline(in, t);
    if (!t.empty()) return t;
  }
  std::string t = RandomToken();
  // Created 0600 from the start: the token is never readable by others.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot write " + file.string());
  const std::string line = t + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Unavailable("cannot write " + file.string());
  generated = true;
  return t;
}

void SetUpLogging(const Config& cfg) {
  spdlog::init_thread_pool(16384, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>("cronq", sink, spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_default_logger(logger);
}

// Upserts the config file's [[schedules]] through the same parser as the API.
Status UpsertConfigSchedules(const Config& cfg, Engine& engine) {
  for (const auto& [name, body] : cfg.schedules) {
    Result<nlohmann::json> j = api::ParseBody(body);
    if (!j.ok()) return Status::InvalidArgument("schedule " + name + ": " + j.status().message());
    Result<ScheduleDef> def = ValidateQueueName(name).ok()
                                  ? api::ParseSchedule(*j, name)
                                  : Result<ScheduleDef>(Status::InvalidArgument("bad schedule name"));
    if (!def.ok()) return Status::InvalidArgument("schedule " + name + ": " + def.status().message());
    Result<ScheduleView> put = Await<ScheduleView>([&](auto cb) { engine.PutSchedule(std::move(def).value(), cb); });
    if (!put.ok()) return Status::Unavailable("schedule " + name + ": " + put.status().message());
    spdlog::info("event=schedule.configured schedule={}", name);
  }
  if (cfg.vercel_json.empty()) return Status::Ok();
  // vercel.json is the source of truth for the "vercel." schedules: a cron removed
  // from the file stops, as it does on Vercel.
  Result<std::vector<ScheduleState>> all = Await<std::vector<ScheduleState>>([&](auto cb) { engine.ListSchedules(cb); });
  if (!all.ok()) return all.status();
  for (const ScheduleState& st : *all) {
    const std::string& name = st.def.name;
    if (name.rfind("vercel.", 0) != 0) continue;
    bool kept = false;
    for (const auto& [n, body] : cfg.schedules) kept = kept || n == name;
    if (kept) continue;
    if (Result<Empty> rm = Await<Empty>([&](auto cb) { engine.DeleteSchedule(name, cb); }); !rm.ok()) return rm.status();
    spdlog::info("event=schedule.removed schedule={} reason=\"no longer in {}\"", name, cfg.vercel_json);
  }
  return Status::Ok();
}

// Several replicas on one Redis: how often a parked fetch looks for jobs that
// another replica enqueued, and how often store deadlines are re-read (leases of
// a replica that died, delayed jobs and schedules another replica added).
constexpr Millis kSharedPollMs = 50;
constexpr Millis kSharedRefreshMs = 1000;

Result<std::unique_ptr<Store>> OpenSqlite(const Config& cfg) {
  const std::string db_path = (fs::path(cfg.data_dir) / "cronq.db").string();
  auto store = OpenSqliteStore(SqliteOptions{db_path, cfg.durable, cfg.sqlite_cache_mib * 1024});
  if (!store.ok())
    std::fprintf(stderr, "cronq: cannot open %s: %s\n", db_path.c_str(), store.status().message().c_str());
  return store;
}

// Redis must never drop a key on its own: an evicted job hash or lease index would
// lose acknowledged jobs silently. Persistence off is allowed (a cache-like
// deployment may accept it) but said loudly.
Result<std::unique_ptr<Store>> OpenRedis(const Config& cfg) {
  Result<RedisOptions> opt = ParseRedisUrl(cfg.redis);
  if (!opt.ok()) {
    std::fprintf(stderr, "cronq: --redis: %s\n", opt.status().message().c_str());
    return opt.status();
  }
  opt->prefix = cfg.redis_prefix;
  Result<RedisServerInfo> info = InspectRedis(*opt);
  if (!info.ok()) {
    std::fprintf(stderr, "cronq: cannot reach Redis at %s:%d: %s\n", opt->host.c_str(), opt->port,
                 info.status().message().c_str());
    return info.status();
  }
  if (info->maxmemory_policy != "noeviction") {
    std::fprintf(stderr,
                 "cronq: Redis at %s:%d has maxmemory-policy %s; cronq needs noeviction. With any other policy "
                 "Redis deletes keys when memory runs out, and a deleted job or lease is a lost job. Set "
                 "`maxmemory-policy noeviction` (redis.conf or CONFIG SET) and start cronq again.\n",
                 opt->host.c_str(), opt->port, info->maxmemory_policy.c_str());
    return Status::InvalidArgument("maxmemory-policy");
  }
  if (!info->aof_enabled) {
    spdlog::warn("event=redis.no_aof host={} port={} message=\"Redis persistence (appendonly) is off: a Redis restart "
                 "loses every job, schedule and slot record, acknowledged or not. Set appendonly yes and "
                 "appendfsync always for cronq's durability promise (docs/deployment.md)\"",
                 opt->host, opt->port);
  } else if (info->appendfsync != "always") {
    spdlog::warn("event=redis.aof_not_always host={} port={} appendfsync={} message=\"an acknowledged write can be "
                 "lost if the Redis machine crashes within about a second of it; appendfsync always makes every "
                 "acknowledgement durable\"",
                 opt->host, opt->port, info->appendfsync.empty() ? "unknown" : info->appendfsync);
  }
  auto store = OpenRedisStore(*opt);
  if (!store.ok()) std::fprintf(stderr, "cronq: cannot use Redis: %s\n", store.status().message().c_str());
  else spdlog::info("event=redis.open host={} port={} db={} version={} prefix={}", opt->host, opt->port, opt->db,
                    info->version, opt->prefix);
  return store;
}

}  // namespace

int RunServer(Config cfg) {
  // Signals are taken by sigwait() below, never by a handler on a random thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (Status st = ValidateConfig(cfg); !st.ok()) {
    std::fprintf(stderr, "cronq: %s\n", st.message().c_str());
    return 2;
  }
  SetUpLogging(cfg);
  if (Status st = LoadVercelCrons(cfg); !st.ok()) {
    std::fprintf(stderr, "cronq: %s\n", st.message().c_str());
    return 2;
  }
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cronq: cannot create data folder %s: %s\n", cfg.data_dir.c_str(), ec.message().c_str());
    return 1;
  }
  auto listen = net::ParseHostPort(cfg.listen);
  if (!listen.ok()) {
    std::fprintf(stderr, "cronq: --listen %s: %s\n", cfg.listen.c_str(), listen.status().message().c_str());
    return 2;
  }
  bool generated = false;
  Result<std::string> admin = AdminToken(cfg, generated);
  if (!admin.ok()) {
    std::fprintf(stderr, "cronq: %s\n", admin.status().message().c_str());
    return 1;
  }
  const bool shared = !cfg.redis.empty();
  Result<std::unique_ptr<Store>> store = shared ? OpenRedis(cfg) : OpenSqlite(cfg);
  if (!store.ok()) return 1;  // OpenRedis / OpenSqlite said why

  std::vector<api::Token> tokens = cfg.tokens;
  tokens.push_back(api::Token{"admin", *admin, api::Scope::kAdmin});
  api::TokenSet token_set(std::move(tokens));
  SystemClock clock;
  net::HttpServer* http_ptr = nullptr;
  api::Api* api_ptr = nullptr;  // set before the engine starts
  EngineOptions eopt;
  eopt.post = [&http_ptr](std::function<void()> fn) { http_ptr->Post(std::move(fn)); };
  // A request that finds the engine idle runs its batch on its own I/O thread.
  eopt.run_later = [&http_ptr](std::function<void()> fn) { return http_ptr && http_ptr->PostHere(std::move(fn)); };
  eopt.log_jobs = cfg.log_jobs;
  eopt.schedule_lead = cfg.schedule_lead_ms;
  if (shared) {  // other replicas share the store: look for their work (docs/deployment.md)
    eopt.shared_poll = kSharedPollMs;
    eopt.shared_refresh = kSharedRefreshMs;
  }
  push::Alerter* alerter_ptr = nullptr;  // likewise
  eopt.on_batch = [&api_ptr, &alerter_ptr](const BatchReport& r) {
    api_ptr->OnBatch(r);
    alerter_ptr->OnBatch(r);
  };
  Engine engine(**store, clock, eopt);
  api::ApiOptions aopt;
  aopt.login = cfg.login;
  api::Api api(engine, token_set, clock, aopt);
  api_ptr = &api;
  push::Alerter alerter(engine, cfg.alerts);
  alerter_ptr = &alerter;

  net::ServerOptions sopt;
  sopt.host = listen->first;
  sopt.port = listen->second;
  // Default: leave one core to the engine thread, which does the storage work.
  sopt.threads = cfg.threads > 0 ? cfg.threads : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()) - 1);
  sopt.body_limit = cfg.body_limit;
  net::HttpServer http(sopt, [&api](net::HttpRequest&& req, net::Responder respond) {
    if (dashboard::Owns(req.path)) return respond(dashboard::Serve(req));
    api.Handle(std::move(req), std::move(respond));
  });
  http_ptr = &http;
  engine.Start();
  if (Status st = http.Start(); !st.ok()) {
    std::fprintf(stderr, "cronq: cannot listen on %s: %s\n", cfg.listen.c_str(), st.message().c_str());
    engine.Stop();
    return 1;
  }
  net::OutboundOptions oopt;
  oopt.ca_file = cfg.push_ca_file;
  auto outbound = net::OutboundClient::Create(oopt);
  if (!outbound.ok()) {
    std::fprintf(stderr, "cronq: %s\n", outbound.status().message().c_str());
    engine.Stop();
    http.Stop(0);
    return 2;
  }
  push::HttpCaller caller(engine, clock, **outbound);
  caller.Start();
  push::DelivererOptions dopt;
  dopt.shared = shared;  // replicas: a push queue's concurrency counts every replica's deliveries
  push::Deliverer deliverer(engine, clock, **outbound, dopt);
  deliverer.Start();
  // Alerts are jobs of the internal queue cronq:alerts, delivered like URL calls.
  push::HttpCaller alert_caller(engine, clock, **outbound, push::HttpCallerOptions{std::string(push::kAlertQueue), 2});
  if (alerter.enabled()) {
    alert_caller.Start();
    alerter.Start();
  }
  if (Status st = UpsertConfigSchedules(cfg, engine); !st.ok()) {
    std::fprintf(stderr, "cronq: %s\n", st.message().c_str());
    caller.RequestStop();
    deliverer.RequestStop();
    alert_caller.RequestStop();
    alerter.Stop();
    engine.Stop();
    caller.Join();
    deliverer.Join();
    alert_caller.Join();
    http.Stop(0);
    return 2;
  }
  std::printf("cronq %s listening on http://%s:%u (data: %s)\n", "0.1.0", sopt.host.c_str(),
              static_cast<unsigned>(http.port()), fs::absolute(cfg.data_dir).lexically_normal().string().c_str());
  if (generated) {
    std::printf("generated admin token (saved in %s/admin.token): %s\n", cfg.data_dir.c_str(), admin->c_str());
  } else if (cfg.admin_token.empty()) {
    std::printf("admin token: read from %s/admin.token\n", cfg.data_dir.c_str());
  }
  std::fflush(stdout);
  spdlog::info("event=server.start listen={}:{} data={}", sopt.host, http.port(), cfg.data_dir);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("event=server.stop signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  // Park no new work, answer parked fetches, then let responses drain. The URL
  // caller stops fetching first; a call in flight ends or its lease expires and
  // it is retried after the restart (at least once).
  caller.RequestStop();
  deliverer.RequestStop();
  alert_caller.RequestStop();
  alerter.Stop();
  api.Stop();  // ends the event streams
  engine.Stop();
  caller.Join();
  deliverer.Join();
  alert_caller.Join();
  http.Stop(5'000);
  spdlog::info("event=server.stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace cronq::server
