// Calls an asynchronous Engine method and waits for its answer (tests only).
#pragma once

#include <chrono>
#include <future>
#include <memory>

#include "core/status.h"

namespace cronq::testing {

// fn receives the callback to pass to the engine; waits up to 10 s.
template <typename T, typename Fn>
Result<T> Call(Fn&& fn) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  fn([p](Result<T> r) { p->set_value(std::move(r)); });
  if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return Status::Internal("timed out");
  return f.get();
}

}  // namespace cronq::testing
