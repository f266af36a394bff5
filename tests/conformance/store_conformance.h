// The storage conformance suite: one set of tests that every Store backend runs
// as it is. A backend registers a factory with INSTANTIATE_TEST_SUITE_P (see
// sqlite_conformance_test.cc); the factory can reopen the same state, which the
// durability tests use.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/store.h"

namespace cronq::testing {

struct BackendFactory {
  std::string name;
  // Opens a store whose state lives under `dir`; calling it again with the same
  // dir after the first store is destroyed must see the committed state.
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
};

// Every backend the suite runs against (backends.cc).
std::vector<BackendFactory> AllBackends();

class StoreConformance : public ::testing::TestWithParam<BackendFactory> {};

inline std::string BackendName(const ::testing::TestParamInfo<BackendFactory>& info) { return info.param.name; }

}  // namespace cronq::testing
