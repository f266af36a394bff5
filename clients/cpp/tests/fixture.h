// A real `cronq serve` on 127.0.0.1 for the client tests, and a way to wait for a
// condition instead of sleeping a fixed time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "cronq/client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::client::testing {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<cronq::testing::ServerProcess>(dir_.File("data"));
    server_->Start();
  }
  ConnectionOptions Conn() const { return {.url = server_->url(), .token = server_->token()}; }
  cronq::testing::ServerProcess& server() { return *server_; }

  // Polls `done` until it holds or `limit` passes; generous for a loaded machine.
  static bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  cronq::testing::TempDir dir_;
  std::unique_ptr<cronq::testing::ServerProcess> server_;
};

}  // namespace cronq::client::testing
