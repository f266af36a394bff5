#include <atomic>
#include <functional>
#include <string>

#include "conformance/store_conformance.h"
#include "storage/redis_store.h"
#include "storage/sqlite_store.h"
#include "support/redis_server.h"

namespace cronq::testing {
namespace {

// One redis-server for the whole test binary, started on first use and stopped
// (by PID) when the binary exits. Each test directory gets its own key prefix,
// so every test starts from an empty store and a reopen sees the same state.
RedisServer& SharedRedis() {
  static RedisServer server;
  static bool started = server.Start();
  if (!started) ADD_FAILURE() << "could not start redis-server (scripts/install-deps.sh installs it)";
  return server;
}

}  // namespace

std::vector<BackendFactory> AllBackends() {
  std::vector<BackendFactory> out;
  out.push_back({"sqlite", [](const std::string& dir) -> std::unique_ptr<Store> {
                   auto r = OpenSqliteStore(SqliteOptions{dir + "/cronq.db", true, 8192});
                   if (!r.ok()) {
                     ADD_FAILURE() << r.status().ToString();
                     return nullptr;
                   }
                   return std::move(r).value();
                 }});
  out.push_back({"redis", [](const std::string& dir) -> std::unique_ptr<Store> {
                   RedisServer& server = SharedRedis();
                   if (!server.running()) return nullptr;
                   RedisOptions o;
                   o.port = server.port();
                   o.prefix = "t" + std::to_string(std::hash<std::string>{}(dir)) + ":";
                   auto r = OpenRedisStore(o);
                   if (!r.ok()) {
                     ADD_FAILURE() << r.status().ToString();
                     return nullptr;
                   }
                   return std::move(r).value();
                 }});
  return out;
}

}  // namespace cronq::testing
