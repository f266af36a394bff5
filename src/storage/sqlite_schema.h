#pragma once

#include "core/status.h"
#include "storage/sqlite_db.h"

namespace cronq::sqlite {

// The newest schema version this binary knows.
int SchemaVersion();

// Upgrades `db` to `target` (clamped to SchemaVersion()) in one transaction.
// Fails without changes if the file is newer than this binary.
Status Migrate(Db& db, int target);

}  // namespace cronq::sqlite
