// Private to the Redis backend: the Lua scripts, one per state change.
//
// Every script runs with numkeys 0 and ARGV[1] = key prefix, ARGV[2] = the
// batch's undo journal key ("" when journaling is off); its own arguments
// follow. Keys are built inside the scripts from the prefix, so the backend
// needs one Redis (or a primary with replicas), not a Redis Cluster.
#pragma once

#include <string>

namespace cronq::redis {

enum ScriptId : int {
  kEnqueue,
  kLease,
  kExtend,
  kFinish,
  kPromoteDue,
  kExpireDue,
  kLookup,
  kOperate,
  kQueueOp,
  kQueueInfo,
  kGetJob,
  kSchedPut,
  kSchedSet,
  kSchedDel,
  kClaim,
  kWithdraw,
  kAuditAppend,
  kRollback,
  kScriptCount
};

// The source of script `id` (the shared prelude included).
std::string ScriptSource(ScriptId id);

}  // namespace cronq::redis
