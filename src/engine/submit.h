// Private to engine/: the template behind every Engine operation.
#pragma once

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


}  // namespace cronq
