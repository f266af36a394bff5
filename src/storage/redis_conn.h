// Private to the Redis backend: one blocking hiredis connection, with script
// loading by hash (EVALSHA, reloaded on NOSCRIPT), pipelines, and reconnection
// with backoff. Only redis_*.cc include this header: hiredis stays out of every
// header another backend or layer sees.
//
// Threading: not thread-safe; the engine thread is the only user.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/redis_store.h"

namespace cronq::redis {

// An owned reply. A null reply means the connection failed (see Conn::error()).
class Reply {
 public:
  Reply() = default;
  explicit Reply(redisReply* r) : r_(r, freeReplyObject) {}
  bool null() const { return !r_; }
  redisReply* get() const { return r_.get(); }
  bool IsError() const { return r_ && r_->type == REDIS_REPLY_ERROR; }
  bool IsNil() const { return r_ && r_->type == REDIS_REPLY_NIL; }
  std::string Str() const;  // string, status or error text; integer as decimal; "" otherwise
  int64_t Int() const;      // integer, or a decimal string
  size_t Size() const { return r_ && r_->type == REDIS_REPLY_ARRAY ? r_->elements : 0; }
  // Element i of an array reply (not owned: valid while this reply lives).
  const redisReply* At(size_t i) const { return r_->element[i]; }

 private:
  std::shared_ptr<redisReply> r_;
};

std::string Str(const redisReply* r);
int64_t Int(const redisReply* r);
bool IsNil(const redisReply* r);

using Args = std::vector<std::string>;

class Conn {
 public:
  explicit Conn(RedisOptions opt) : opt_(std::move(opt)) {}
  ~Conn();

  // Connects (AUTH, SELECT, SCRIPT LOAD). Unavailable when Redis cannot be reached.
  Status Connect();
  // Connected now, or reconnected if the backoff allows a new try.
  Status Ensure();
  bool connected() const { return ctx_ != nullptr; }

  // One command. Unavailable on a connection failure (the connection is then
  // dropped and retried later); an error reply is returned as a reply.
  Result<Reply> Run(const Args& args);
  // Runs a registered script by its hash: EVALSHA sha 0 args...
  Result<Reply> Eval(int script, const Args& args);
  // A pipeline: every command is sent, then every reply read, in order.
  Result<std::vector<Reply>> Pipeline(const std::vector<Args>& cmds);
  // Pipelined EVALSHA calls, each of its own script, run in order.
  Result<std::vector<Reply>> EvalMany(const std::vector<std::pair<int, Args>>& calls);
  // Queues a command whose reply nobody waits for: it goes out in front of the
  // next command or pipeline (after a reconnection too), so it costs no round
  // trip of its own, and it runs before anything sent after it. Its reply is
  // read and dropped. A command already queued is not queued twice.
  void Defer(Args cmd);

  // Registers a script's source; returns its index for Eval.
  int Register(std::string source);

 private:
  Status Fail(const std::string& what);
  Status LoadScripts();
  void Append(const Args& args);
  // Sends the deferred commands and `cmds`, reads every reply; the deferred ones
  // are dropped once their replies arrived.
  Result<std::vector<Reply>> Send(const std::vector<Args>& cmds);

  RedisOptions opt_;
  redisContext* ctx_ = nullptr;
  std::vector<std::string> sources_, shas_;
  std::vector<Args> deferred_;
  bool connecting_ = false;
  std::chrono::steady_clock::time_point next_try_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace cronq::redis
