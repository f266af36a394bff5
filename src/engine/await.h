// Await: calls an asynchronous Engine operation and blocks for its answer. For
// threads that may block (the URL caller, start-up, tests); never call it on
// the engine thread or an HTTP I/O thread.
#pragma once

#include <chrono>
#include <future>
#include <memory>

#include "core/clock.h"
#include "core/status.h"

namespace cronq {

// `fn` receives the callback to hand to the engine. `timeout` 0: wait for good;
// otherwise an answer later than that is Unavailable.
template <typename T, typename Fn>
Result<T> Await(Fn&& fn, Millis timeout = 0) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  fn([p](Result<T> r) { p->set_value(std::move(r)); });
  if (timeout > 0 && f.wait_for(std::chrono::milliseconds(timeout)) != std::future_status::ready)
    return Status::Unavailable("no answer from the engine in time");
  return f.get();
}

}  // namespace cronq
