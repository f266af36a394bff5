#include "storage/redis_conn.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

namespace cronq::redis {

std::string Str(const redisReply* r) {
  if (!r) return {};
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    default: return {};
  }
}

int64_t Int(const redisReply* r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) {
    int64_t v = 0;
    const char* end = r->str + r->len;
    auto res = std::from_chars(r->str, end, v);
    if (res.ec == std::errc() && res.ptr != end && *res.ptr == '.') return v;  // "12.0"
    return res.ec == std::errc() ? v : 0;
  }
  return 0;
}

bool IsNil(const redisReply* r) { return !r || r->type == REDIS_REPLY_NIL; }

std::string Reply::Str() const { return redis::Str(r_.get()); }
int64_t Reply::Int() const { return redis::Int(r_.get()); }

Conn::~Conn() {
  if (ctx_) redisFree(ctx_);
}

int Conn::Register(std::string source) {
  sources_.push_back(std::move(source));
  shas_.emplace_back();
  return static_cast<int>(sources_.size() - 1);
}

Status Conn::Fail(const std::string& what) {
  std::string msg = "redis " + opt_.host + ":" + std::to_string(opt_.port) + ": " + what;
  if (ctx_) {
    if (ctx_->err) msg += ": " + std::string(ctx_->errstr);
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  backoff_ = std::min<std::chrono::milliseconds>(backoff_.count() ? backoff_ * 2 : std::chrono::milliseconds(50),
                                                 std::chrono::milliseconds(2000));
  next_try_ = std::chrono::steady_clock::now() + backoff_;
  return Status::Unavailable(msg);
}

Status Conn::Connect() {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  timeval ct{opt_.connect_timeout_ms / 1000, static_cast<suseconds_t>((opt_.connect_timeout_ms % 1000) * 1000)};
  ctx_ = redisConnectWithTimeout(opt_.host.c_str(), opt_.port, ct);
  if (!ctx_) return Fail("cannot allocate a connection");
  if (ctx_->err) return Fail("cannot connect");
  timeval cmd{opt_.command_timeout_ms / 1000, static_cast<suseconds_t>((opt_.command_timeout_ms % 1000) * 1000)};
  redisSetTimeout(ctx_, cmd);
  redisEnableKeepAlive(ctx_);
  struct Connecting {
    bool& flag;
    explicit Connecting(bool& f) : flag(f) { flag = true; }
    ~Connecting() { flag = false; }
  } connecting(connecting_);
  if (!opt_.password.empty()) {
    Args a = opt_.user.empty() ? Args{"AUTH", opt_.password} : Args{"AUTH", opt_.user, opt_.password};
    CRONQ_ASSIGN_OR_RETURN(Reply r, Run(a));
    if (r.IsError()) return Fail("AUTH refused: " + r.Str());
  }
  if (opt_.db != 0) {
    CRONQ_ASSIGN_OR_RETURN(Reply r, Run({"SELECT", std::to_string(opt_.db)}));
    if (r.IsError()) return Fail("SELECT refused: " + r.Str());
  }
  CRONQ_RETURN_IF_ERROR(LoadScripts());
  backoff_ = std::chrono::milliseconds(0);
  return Status::Ok();
}

Status Conn::Ensure() {
  if (ctx_) return Status::Ok();
  if (std::chrono::steady_clock::now() < next_try_)
    return Status::Unavailable("redis " + opt_.host + ":" + std::to_string(opt_.port) +
                               " is unreachable; reconnecting with backoff");
  Status st = Connect();
  if (st.ok()) spdlog::info("event=redis.connected host={} port={} db={}", opt_.host, opt_.port, opt_.db);
  return st;
}

Status Conn::LoadScripts() {
  for (size_t i = 0; i < sources_.size(); ++i) {
    CRONQ_ASSIGN_OR_RETURN(Reply r, Run({"SCRIPT", "LOAD", sources_[i]}));
    if (r.IsError()) return Status::Internal("SCRIPT LOAD failed: " + r.Str());
    shas_[i] = r.Str();
  }
  return Status::Ok();
}

void Conn::Append(const Args& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
}

Result<Reply> Conn::Run(const Args& args) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> r, Send({args}));
  return r.front();
}

Result<std::vector<Reply>> Conn::Pipeline(const std::vector<Args>& cmds) { return Send(cmds); }

void Conn::Defer(Args cmd) {
  for (const Args& d : deferred_)
    if (d == cmd) return;
  deferred_.push_back(std::move(cmd));
}

Result<std::vector<Reply>> Conn::Send(const std::vector<Args>& cmds) {
  CRONQ_RETURN_IF_ERROR(Ensure());
  // While connecting (AUTH, SELECT, SCRIPT LOAD) the deferred commands wait.
  std::vector<Args> before;
  if (!connecting_) before.swap(deferred_);
  for (const Args& c : before) Append(c);
  for (const Args& c : cmds) Append(c);
  std::vector<Reply> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < before.size() + cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      // Whether the deferred commands ran is unknown: send them again (they are
      // idempotent) in front of the next command.
      for (const Args& c : before) Defer(c);
      return Fail(cmds.size() == 1 && !cmds[0].empty() ? cmds[0][0] + " failed" : "pipeline failed");
    }
    if (i < before.size()) {
      freeReplyObject(raw);
      continue;
    }
    out.emplace_back(static_cast<redisReply*>(raw));
  }
  return out;
}

namespace {
bool NoScript(const Reply& r) { return r.IsError() && r.Str().rfind("NOSCRIPT", 0) == 0; }
}  // namespace

Result<Reply> Conn::Eval(int script, const Args& args) {
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> r, EvalMany({{script, args}}));
  return r.front();
}

Result<std::vector<Reply>> Conn::EvalMany(const std::vector<std::pair<int, Args>>& calls) {
  CRONQ_RETURN_IF_ERROR(Ensure());
  std::vector<Args> cmds;
  cmds.reserve(calls.size());
  for (const auto& [script, a] : calls) {
    Args c{"EVALSHA", shas_[script], "0"};
    c.insert(c.end(), a.begin(), a.end());
    cmds.push_back(std::move(c));
  }
  CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> out, Pipeline(cmds));
  bool reloaded = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!NoScript(out[i])) continue;  // the script cache was flushed (SCRIPT FLUSH, a restart)
    if (!reloaded) {
      CRONQ_RETURN_IF_ERROR(LoadScripts());
      reloaded = true;
    }
    CRONQ_ASSIGN_OR_RETURN(std::vector<Reply> again, Pipeline({cmds[i]}));
    out[i] = again.front();
  }
  return out;
}

}  // namespace cronq::redis
