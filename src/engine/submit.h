// Private to engine/: the template behind every Engine operation.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "engine/engine.h"

namespace cronq {

// Queues `fn` to run inside the next batch; `cb` gets its result once the batch
// committed, or the commit's error.
template <typename T>
void Engine::Submit(Callback<T> cb, std::function<Result<T>(Store&, TimeMs, Batch&)> fn) {
  auto shared_cb = std::make_shared<Callback<T>>(std::move(cb));
  Op op;
  op.run = [this, shared_cb, fn = std::move(fn)](Store& s, TimeMs now, Batch& b) -> Reply {
    auto r = std::make_shared<Result<T>>(fn(s, now, b));
    return [this, shared_cb, r](const Status& commit) {
      Deliver([shared_cb, r, commit] {
        if (!commit.ok()) (*shared_cb)(commit);
        else (*shared_cb)(std::move(*r));
      });
    };
  };
  op.abort = [this, shared_cb](const Status& st) { Deliver([shared_cb, st] { (*shared_cb)(st); }); };
  Push(std::move(op));
}

// `text` as a JSON string literal, for the small JSON details of audit entries.
inline std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\', out += static_cast<char>(ch);
    else if (ch < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else out += static_cast<char>(ch);
  }
  return out + "\"";
}

inline Status Engine::Audit(Store& s, Batch& b, const Actor& who, TimeMs now, std::string action,
                           std::string target, std::string detail) {
  if (who.name.empty()) return Status::Ok();
  Status st =
      s.AppendAudit(AuditEntry{0, now, who.name, who.scope, std::move(action), std::move(target), std::move(detail)});
  if (!st.ok() && b.fatal.ok()) b.fatal = st;
  return st;
}

}  // namespace cronq
