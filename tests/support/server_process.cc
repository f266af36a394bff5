#include "support/server_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

namespace cronq::testing {

std::string CronqBinary() { return CRONQ_BINARY; }

ServerProcess::ServerProcess(std::string data_dir, std::vector<std::string> extra_args, std::string admin_token)
    : data_dir_(std::move(data_dir)), extra_(std::move(extra_args)), token_(std::move(admin_token)) {
  if (token_.empty()) token_ = "test-admin-token-0123456789";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

void ServerProcess::Start() {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_ = fork();
  ASSERT_GE(pid_, 0);
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    dup2(out[1], STDOUT_FILENO);
    FILE* err = std::fopen(stderr_path().c_str(), "a");
    if (err) dup2(fileno(err), STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    setenv("CRONQ_ADMIN_TOKEN", token_.c_str(), 1);
    std::vector<std::string> args = {CronqBinary(), "--data", data_dir_, "serve", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  port_ = 0;  // a restart must learn its own port, not keep the last one
  // Read stdout until the "listening on" line tells the port.
  std::string seen;
  char buf[512];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::smatch m;
  static const std::regex kListen("listening on http://127\\.0\\.0\\.1:(\\d+)");
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    if (std::regex_search(seen, m, kListen)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1]));
      break;
    }
  }
  close(out[0]);  // the server's later stdout writes go nowhere (it ignores SIGPIPE)
  if (port_ == 0) {
    std::ifstream err(stderr_path());
    std::string log((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    if (log.size() > 4000) log = log.substr(log.size() - 4000);
    int status = 0;
    std::string how = "still running";
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // reaped: never signal that PID again
      pid_ = -1;
      how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                              : "signal " + std::to_string(WTERMSIG(status));
    }
    FAIL() << "server did not start (" << how << "); stdout: " << seen << "\nstderr (tail): " << log;
  }
  client_ = std::make_unique<net::HttpClient>("127.0.0.1", port_, 40'000);
  for (int i = 0; i < 200; ++i) {
    auto r = client_->Request("GET", "/healthz");
    if (r.ok() && r->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "/healthz never answered";
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  client_.reset();
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  client_.reset();
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ServerProcess::Reply ServerProcess::Call(const std::string& method, const std::string& path, const std::string& body,
                                         const std::string& token) {
  Reply out;
  if (!client_) return out;
  net::Fields headers = {{"Authorization", "Bearer " + (token.empty() ? token_ : token)},
                         {"Content-Type", "application/json"}};
  auto r = client_->Request(method, path, body, headers);
  if (!r.ok()) {
    ADD_FAILURE() << method << " " << path << ": " << r.status().ToString();
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.json = nlohmann::json::parse(r->body, nullptr, false);
  return out;
}

ServerProcess::Reply ServerProcess::Call(const std::string& method, const std::string& path,
                                         const nlohmann::json& body, const std::string& token) {
  return Call(method, path, body.dump(), token);
}

std::string ServerProcess::AddJob(const std::string& queue, const nlohmann::json& job, const std::string& token) {
  Reply r = Call("POST", "/v1/queues/" + queue + "/jobs", job, token);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json.value("id", "");
}

}  // namespace cronq::testing
