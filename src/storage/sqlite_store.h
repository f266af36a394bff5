// The embedded default backend: one SQLite file in WAL mode.
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace cronq {

struct SqliteOptions {
  std::string path;          // e.g. "data/cronq.db"; created when missing
  bool durable = true;       // synchronous=FULL: every Commit() is fsync'd
  int64_t cache_kib = 16384; // page cache (see Config::sqlite_cache_mib)
};

// Opens (creating or migrating) the database. Refuses a file written by a newer
// cronq (a schema version above the one this binary knows).
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

// The schema version this binary writes; see docs/storage-format.md.
int SqliteSchemaVersion();

}  // namespace cronq
