#include "cli/commands.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/table.h"
#include "core/validate.h"

namespace cronq::cli {
namespace {

using nlohmann::json;

std::string Ago(const json& ms, int64_t now_ms) {
  if (!ms.is_number()) return "-";
  int64_t s = (now_ms - ms.get<int64_t>()) / 1000;
  if (s < 0) return "in " + std::to_string(-s) + "s";
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct EnqueueArgs {
  std::string queue, name, data = "null", backoff, delay, timeout, id;
  int attempts = 0, priority = -1;
};

Result<json> BuildJob(const EnqueueArgs& a) {
  json data = json::parse(a.data, nullptr, false);
  if (data.is_discarded()) return Status::InvalidArgument("--data is not valid JSON: " + a.data);
  json opts = json::object();
  if (a.attempts > 0) opts["attempts"] = a.attempts;
  if (a.priority >= 0) opts["priority"] = a.priority;
  if (!a.id.empty()) opts["jobId"] = a.id;
  if (!a.delay.empty()) {
    CRONQ_ASSIGN_OR_RETURN(Millis d, ParseDuration(a.delay));
    opts["delay"] = d;
  }
  if (!a.timeout.empty()) {
    CRONQ_ASSIGN_OR_RETURN(Millis t, ParseDuration(a.timeout));
    opts["timeout"] = t;
  }
  if (!a.backoff.empty()) {  // "exponential:5000" or "fixed:10s"
    size_t colon = a.backoff.find(':');
    std::string type = a.backoff.substr(0, colon);
    if (type != "fixed" && type != "exponential")
      return Status::InvalidArgument("--backoff must be fixed:DELAY or exponential:DELAY");
    Millis d = 1000;
    if (colon != std::string::npos) {
      CRONQ_ASSIGN_OR_RETURN(d, ParseDuration(a.backoff.substr(colon + 1)));
    }
    opts["backoff"] = {{"type", type}, {"delay", d}};
  }
  return json{{"name", a.name}, {"data", std::move(data)}, {"opts", std::move(opts)}};
}

void AddEnqueue(CLI::App& app, std::shared_ptr<ClientOptions> o, int& rc) {
  auto a = std::make_shared<EnqueueArgs>();
  CLI::App* cmd = app.add_subcommand("enqueue", "Add a job to a queue");
  cmd->add_option("queue", a->queue, "Queue name")->required();
  cmd->add_option("name", a->name, "Job name")->required();
  cmd->add_option("--data", a->data, "Job data as JSON");
  cmd->add_option("--attempts", a->attempts, "Total attempts (default 1)");
  cmd->add_option("--backoff", a->backoff, "fixed:DELAY or exponential:DELAY, e.g. exponential:5000");
  cmd->add_option("--delay", a->delay, "Do not start before this long, e.g. 10s");
  cmd->add_option("--priority", a->priority, "Lower runs first (default 0)");
  cmd->add_option("--id", a->id, "Job id: a second add with the same id returns the first job");
  cmd->add_option("--timeout", a->timeout, "Hard limit per attempt, e.g. 30s");
  cmd->callback([o, a, &rc] {
    rc = WithClient(*o, [&](Client& c) {
      Result<json> job = BuildJob(*a);
      if (!job.ok()) return Fail(job.status());
      Result<json> r = c.Call("POST", "/v1/queues/" + Seg(a->queue) + "/jobs", &*job);
      return PrintOr(*o, r, [](const json& j) {
        std::printf("%s %s (%s)\n", j.value("duplicate", false) ? "duplicate of" : "enqueued",
                    Str(j["id"]).c_str(), Str(j["state"]).c_str());
      });
    });
  });
}

void AddQueues(CLI::App& app, std::shared_ptr<ClientOptions> o, int& rc) {
  CLI::App* cmd = app.add_subcommand("queues", "List queues with job counts by state");
  cmd->callback([o, &rc] {
    rc = WithClient(*o, [&](Client& c) {
      return PrintOr(*o, c.Call("GET", "/v1/queues"), [](const json& j) {
        std::vector<std::vector<std::string>> rows = {
            {"QUEUE", "PAUSED", "WAITING", "DELAYED", "ACTIVE", "COMPLETED", "FAILED", "OLDEST WAITING"}};
        for (const json& q : j["queues"]) {
          const json& n = q["counts"];
          json age = q["oldestWaitingAgeMs"];
          rows.push_back({Str(q["name"]), q.value("paused", false) ? "yes" : "no", Str(n["waiting"]), Str(n["delayed"]),
                          Str(n["active"]), Str(n["completed"]), Str(n["failed"]),
                          age.is_number() ? std::to_string(age.get<int64_t>() / 1000) + "s" : "-"});
        }
        PrintTable(rows);
      });
    });
  });
}

void AddJobs(CLI::App& app, std::shared_ptr<ClientOptions> o, int& rc) {
  auto queue = std::make_shared<std::string>();
  auto state = std::make_shared<std::string>();
  auto search = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(50);
  CLI::App* cmd = app.add_subcommand("jobs", "List a queue's jobs, newest first");
  cmd->add_option("queue", *queue, "Queue name")->required();
  cmd->add_option("--state", *state, "waiting, delayed, active, completed or failed");
  cmd->add_option("--search", *search, "Match id, name or error text");
  cmd->add_option("--limit", *limit, "How many (default 50)");
  cmd->callback([=, &rc] {
    rc = WithClient(*o, [&](Client& c) {
      std::string path = "/v1/queues/" + Seg(*queue) + "/jobs?limit=" + std::to_string(*limit);
      if (!state->empty()) path += "&state=" + Seg(*state);
      if (!search->empty()) path += "&q=" + Seg(*search);
      return PrintOr(*o, c.Call("GET", path), [](const json& j) {
        const int64_t now = NowMs();
        std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "STATE", "ATTEMPTS", "CREATED", "ERROR"}};
        for (const json& job : j["jobs"]) {
          std::string err = Str(job["failedReason"]);
          if (err.size() > 60) err = err.substr(0, 57) + "...";
          rows.push_back({Str(job["id"]), Str(job["name"]), Str(job["state"]), Str(job["attemptsMade"]),
                          Ago(job["timestamp"], now), err});
        }
        PrintTable(rows);
      });
    });
  });
}

void AddJob(CLI::App& app, std::shared_ptr<ClientOptions> o, int& rc) {
  auto queue = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("job", "Show one job with every attempt");
  cmd->add_option("queue", *queue)->required();
  cmd->add_option("id", *id)->required();
  cmd->callback([=, &rc] {
    rc = WithClient(*o, [&](Client& c) {
      return PrintOr(*o, c.Call("GET", "/v1/queues/" + Seg(*queue) + "/jobs/" + Seg(*id)), [](const json& j) {
        const int64_t now = NowMs();
        std::printf("id:        %s\nqueue:     %s\nname:      %s\nstate:     %s\ncreated:   %s\n", Str(j["id"]).c_str(),
                    Str(j["queue"]).c_str(), Str(j["name"]).c_str(), Str(j["state"]).c_str(),
                    Ago(j["timestamp"], now).c_str());
        std::printf("attempts:  %s of %s\ndata:      %s\n", Str(j["attemptsMade"]).c_str(),
                    Str(j["opts"]["attempts"]).c_str(), j["data"].dump().c_str());
        if (!j["returnvalue"].is_null()) std::printf("result:    %s\n", j["returnvalue"].dump().c_str());
        if (!j["failedReason"].is_null()) std::printf("error:     %s\n", Str(j["failedReason"]).c_str());
        std::vector<std::vector<std::string>> rows = {{"ATTEMPT", "OUTCOME", "STARTED", "DURATION", "ERROR"}};
        for (const json& a : j["attempts"]) {
          std::string dur = a["endedAt"].is_number()
                                ? std::to_string(a["endedAt"].get<int64_t>() - a["startedAt"].get<int64_t>()) + "ms"
                                : "running";
          rows.push_back({Str(a["attempt"]), Str(a["outcome"]), Ago(a["startedAt"], now), dur,
                          a.contains("error") ? Str(a["error"]["message"]) : "-"});
        }
        if (rows.size() > 1) {
          std::puts("");
          PrintTable(rows);
        }
      });
    });
  });
}

// retry / remove / promote QUEUE ID, and pause / resume QUEUE.
void AddActions(CLI::App& app, std::shared_ptr<ClientOptions> o, int& rc) {
  struct JobAction {
    const char* name;
    const char* help;
    const char* method;
    const char* suffix;
  };
  static const JobAction kJobActions[] = {
      {"retry", "Retry a failed or completed job", "POST", "/retry"},
      {"promote", "Run a delayed job now", "POST", "/promote"},
      {"remove", "Delete a job that is not active", "DELETE", ""},
  };
  for (const JobAction& a : kJobActions) {
    auto queue = std::make_shared<std::string>();
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(a.name, a.help);
    cmd->add_option("queue", *queue)->required();
    cmd->add_option("id", *id)->required();
    cmd->callback([=, &rc] {
      rc = WithClient(*o, [&](Client& c) {
        return PrintOr(*o, c.Call(a.method, "/v1/queues/" + Seg(*queue) + "/jobs/" + Seg(*id) + a.suffix),
                       [&](const json&) { std::printf("%s %s: ok\n", a.name, id->c_str()); });
      });
    });
  }
  for (const char* verb : {"pause", "resume"}) {
    auto queue = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(verb, std::string(verb) == "pause" ? "Stop handing out a queue's jobs"
                                                                          : "Hand out a paused queue's jobs again");
    cmd->add_option("queue", *queue)->required();
    cmd->callback([=, &rc] {
      rc = WithClient(*o, [&](Client& c) {
        return PrintOr(*o, c.Call("POST", "/v1/queues/" + Seg(*queue) + "/" + verb),
                       [&](const json&) { std::printf("%s %s: ok\n", verb, queue->c_str()); });
      });
    });
  }
}

}  // namespace

void AddClientCommands(CLI::App& app, std::shared_ptr<ClientOptions> opts, int& exit_code) {
  AddScheduleCommands(app, opts, exit_code);
  AddEnqueue(app, opts, exit_code);
  AddQueues(app, opts, exit_code);
  AddJobs(app, opts, exit_code);
  AddJob(app, opts, exit_code);
  AddActions(app, opts, exit_code);
}

}  // namespace cronq::cli
