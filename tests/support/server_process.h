// Runs the real `cronq serve` binary on 127.0.0.1 with a free port, for
// integration tests. Stop() sends SIGTERM, Kill() sends SIGKILL; both by PID.
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http_client.h"

namespace cronq::testing {

class ServerProcess {
 public:
  // `data_dir` persists across restarts; extra args go after `serve`.
  ServerProcess(std::string data_dir, std::vector<std::string> extra_args = {}, std::string admin_token = "");
  ~ServerProcess();

  // Starts and waits until /healthz answers (or fails the test).
  void Start();
  // SIGTERM and wait; returns the exit status (as from waitpid).
  int Stop();
  // SIGKILL and wait.
  void Kill();
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string stderr_path() const { return data_dir_ + "/../server.stderr"; }

  // A request with the admin token (or `token`); the body is parsed as JSON when it is.
  struct Reply {
    int status = 0;
    nlohmann::json json;
    std::string body;
  };
  Reply Call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& token = "");
  Reply Call(const std::string& method, const std::string& path, const nlohmann::json& body,
             const std::string& token = "");
  Reply Call(const std::string& method, const std::string& path, const char* body, const std::string& token = "") {
    return Call(method, path, std::string(body), token);
  }
  // Enqueues one job ({name, data, opts}) into `queue` with the admin token (or
  // `token`); expects 201 and returns the job's id ("" when refused).
  std::string AddJob(const std::string& queue, const nlohmann::json& job, const std::string& token = "");

 private:
  std::string data_dir_;
  std::vector<std::string> extra_;
  std::string token_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<net::HttpClient> client_;
};

// The path of the built cronq binary.
std::string CronqBinary();

}  // namespace cronq::testing
