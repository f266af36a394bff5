// A private redis-server for tests: 127.0.0.1, a free port, its own temp folder,
// started and stopped by PID. Persistence off unless a test asks for AOF.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace cronq::testing {

class RedisServer {
 public:
  // `aof`: appendonly yes with appendfsync always (restart tests); else no persistence.
  explicit RedisServer(bool aof = false, std::vector<std::string> extra_args = {});
  ~RedisServer();

  // Starts (on the same port and folder as before, after a Stop) and waits until
  // it answers PING. Returns false, with a message on stderr, when it cannot.
  bool Start();
  void Stop();  // SIGTERM, wait
  void Kill();  // SIGKILL, wait
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string url(int db = 0) const { return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db); }
  // Sends one inline command and returns the raw reply ("" on failure).
  std::string Command(const std::string& inline_command) const;

 private:
  bool aof_;
  std::vector<std::string> extra_;
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A free TCP port on 127.0.0.1 (bound then released).
int FreePort();

}  // namespace cronq::testing
