// An example worker for the "email" queue, and a producer for it.
//
//   CRONQ_TOKEN=cq_... cronq_worker_example [URL] [--produce N]
//
// With --produce N it adds N "welcome" jobs and exits; otherwise it runs a worker
// with concurrency 4 until SIGINT or SIGTERM, then stops gracefully: the jobs it is
// running finish and are acknowledged before it exits.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "cronq/client.h"

namespace {

using cronq::client::Job;
using nlohmann::json;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

json SendWelcome(Job& job) {
  const std::string to = job.data().value("to", "");
  if (to.find('@') == std::string::npos)  // retrying cannot fix this one
    throw cronq::client::UnrecoverableError("not an email address: '" + to + "'");
  job.Log("sending welcome mail to " + to + " (attempt " + std::to_string(job.attempt()) + ")");
  for (int pct = 25; pct <= 100; pct += 25) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the real work goes here
    job.UpdateProgress({{"pct", pct}});
  }
  return {{"sent", true}, {"to", to}};
}

int Produce(const cronq::client::ConnectionOptions& conn, int n) {
  cronq::client::Queue email("email", conn);
  std::vector<cronq::client::NewJob> jobs;
  for (int i = 0; i < n; ++i) {
    jobs.push_back({"welcome", {{"to", "user" + std::to_string(i) + "@example.com"}},
                    {.attempts = 3, .backoff = cronq::client::Backoff::Exponential(std::chrono::seconds(1))}});
  }
  auto added = email.AddBulk(jobs);
  if (!added.ok()) {
    std::cerr << "add: " << added.status().ToString() << "\n";
    return 1;
  }
  std::cout << "added " << added->size() << " jobs, first id " << added->front().id << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cronq::client::ConnectionOptions conn;  // token from CRONQ_TOKEN
  int produce = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--produce" && i + 1 < argc) {
      produce = std::atoi(argv[++i]);
    } else {
      conn.url = a;
    }
  }
  if (produce > 0) return Produce(conn, produce);

  cronq::client::Worker worker("email", SendWelcome,
                               {.connection = conn,
                                .concurrency = 4,
                                .lock_duration = std::chrono::seconds(30),
                                .on_completed = [](const Job& job, const json& result) {
                                  std::cout << "completed " << job.id() << ": " << result.dump() << std::endl;
                                },
                                .on_failed = [](const Job& job, const std::string& error, bool unrecoverable) {
                                  std::cout << "failed " << job.id() << (unrecoverable ? " for good: " : ": ")
                                            << error << std::endl;
                                }});
  if (cronq::Status st = worker.Start(); !st.ok()) {
    std::cerr << "cannot start the worker: " << st.ToString() << "\n";
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cout << "working on queue 'email' at " << conn.url << "; Ctrl-C stops" << std::endl;
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cout << "stopping: running jobs finish first" << std::endl;
  worker.Stop();
  return 0;
}
