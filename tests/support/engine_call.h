// Calls an asynchronous Engine method and waits for its answer (tests only):
// engine/await.h with a 10 s bound, so a lost answer fails the test.
#pragma once

#include "engine/await.h"

namespace cronq::testing {

template <typename T, typename Fn>
Result<T> Call(Fn&& fn) {
  return Await<T>(std::forward<Fn>(fn), 10'000);
}

}  // namespace cronq::testing
