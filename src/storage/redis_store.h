// The Redis backend: every state change is one Lua script, run atomically by
// Redis, so several cronq replicas can share one Redis (docs/storage-format.md,
// "Redis"). This header carries no hiredis type.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/store.h"

namespace cronq {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user, password;
  // Every key starts with this; two cronq installations can share one Redis
  // database with different prefixes.
  std::string prefix = "cronq:";
  int connect_timeout_ms = 2000;
  int command_timeout_ms = 5000;
  // Record an undo journal per batch so that Rollback() (or a failed Commit())
  // undoes the batch's writes. See docs/storage-format.md for what it cannot undo.
  bool journal = true;
};

// redis://[[user]:password@]host[:port][/db]
Result<RedisOptions> ParseRedisUrl(std::string_view url);

// What the server reports about itself (INFO), for the start-up checks.
struct RedisServerInfo {
  std::string version;
  std::string maxmemory_policy;
  bool aof_enabled = false;
  std::string appendfsync;  // "always", "everysec", "no", or "" when unknown
};
Result<RedisServerInfo> InspectRedis(const RedisOptions& options);

// Connects and loads the scripts. Unavailable when Redis cannot be reached.
Result<std::unique_ptr<Store>> OpenRedisStore(const RedisOptions& options);

}  // namespace cronq
