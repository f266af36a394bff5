// `cronq schedules` and `cronq schedule set|show|rm|trigger|pause|resume`.
#include <cstdio>

#include "cli/commands.h"
#include "cli/table.h"

namespace cronq::cli {
namespace {

using nlohmann::json;

struct SetArgs {
  std::string name, cron, tz = "UTC", queue, job, data = "null", missed, overlap, start, end;
  int missed_max = 0;
  int64_t missed_within_ms = 0;
  bool paused = false;
};

void AddSet(CLI::App& parent, std::shared_ptr<ClientOptions> o, int& rc) {
  auto a = std::make_shared<SetArgs>();
  CLI::App* cmd = parent.add_subcommand("set", "Create or replace a schedule");
  cmd->add_option("name", a->name)->required();
  cmd->add_option("--cron", a->cron, "Cron expression, e.g. '0 3 * * *'")->required();
  cmd->add_option("--tz", a->tz, "IANA time zone (default UTC)");
  cmd->add_option("--queue", a->queue, "Queue each fire enqueues into")->required();
  cmd->add_option("--job", a->job, "Job name (default: the schedule's name)");
  cmd->add_option("--data", a->data, "Job data as JSON");
  cmd->add_option("--missed", a->missed, "After downtime: skip, once (default), all or within");
  cmd->add_option("--missed-max", a->missed_max, "With --missed all: at most this many");
  cmd->add_option("--missed-within-ms", a->missed_within_ms, "With --missed within: the deadline");
  cmd->add_option("--overlap", a->overlap, "allow (default), forbid or replace");
  cmd->add_option("--start", a->start, "Not before this ISO-8601 instant");
  cmd->add_option("--end", a->end, "Not after this ISO-8601 instant");
  cmd->add_flag("--paused", a->paused, "Create it paused");
  cmd->callback([o, a, &rc] {
    rc = WithClient(*o, [&](Client& c) {
      json data = json::parse(a->data, nullptr, false);
      if (data.is_discarded()) return Fail(Status::InvalidArgument("--data is not valid JSON: " + a->data));
      json body = {{"cron", a->cron}, {"tz", a->tz},
                   {"target", {{"queue", a->queue}, {"name", a->job.empty() ? a->name : a->job}, {"data", data}}}};
      if (!a->missed.empty()) body["missed"] = a->missed;
      if (a->missed_max) body["missedMax"] = a->missed_max;
      if (a->missed_within_ms) body["missedWithinMs"] = a->missed_within_ms;
      if (!a->overlap.empty()) body["overlap"] = a->overlap;
      if (!a->start.empty()) body["startAt"] = a->start;
      if (!a->end.empty()) body["endAt"] = a->end;
      if (a->paused) body["paused"] = true;
      return PrintOr(*o, c.Call("PUT", "/v1/schedules/" + Seg(a->name), &body), [](const json& j) {
        std::printf("schedule %s: next %s\n", Str(j["name"]).c_str(), Str(j["nextDue"]).c_str());
      });
    });
  });
}

// One schedule with its next runs and slot history.
int Show(const ClientOptions& o, const std::string& name) {
  return WithClient(o, [&](Client& c) {
      return PrintOr(o, c.Call("GET", "/v1/schedules/" + Seg(name) + "?next=5&history=20"), [](const json& j) {
        std::printf("name:     %s\ncron:     %s (%s)\ntarget:   queue %s, job %s\npolicies: missed=%s overlap=%s\n",
                    Str(j["name"]).c_str(), Str(j["cron"]).c_str(), Str(j["tz"]).c_str(),
                    Str(j["target"]["queue"]).c_str(), Str(j["target"]["name"]).c_str(), Str(j["missed"]).c_str(),
                    Str(j["overlap"]).c_str());
        std::printf("paused:   %s\nnext:    ", j.value("paused", false) ? "yes" : "no");
        for (const json& t : j["nextRuns"]) std::printf(" %s", Str(t).c_str());
        std::puts("");
        std::vector<std::vector<std::string>> rows = {{"DUE", "STATUS", "LATENESS", "JOB", "NOTE"}};
        for (const json& s : j["history"]) {
          rows.push_back({Str(s["due"]), Str(s["status"]), Str(s["latenessMs"]) + "ms",
                          s["job"].is_null() ? "-" : Str(s["job"]["id"]), Str(s["note"])});
        }
        if (rows.size() > 1) {
          std::puts("");
          PrintTable(rows);
        }
      });
  });
}

void AddShow(CLI::App& parent, std::shared_ptr<ClientOptions> o, int& rc) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand("show", "A schedule with its next runs and slot history");
  cmd->add_option("name", *name)->required();
  cmd->callback([=, &rc] { rc = Show(*o, *name); });
}

void AddSimple(CLI::App& parent, std::shared_ptr<ClientOptions> o, int& rc, const char* verb, const char* help,
               const char* method, const char* suffix) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand(verb, help);
  cmd->add_option("name", *name)->required();
  cmd->callback([=, &rc] {
    rc = WithClient(*o, [&](Client& c) {
      return PrintOr(*o, c.Call(method, "/v1/schedules/" + Seg(*name) + suffix), [&](const json& j) {
        if (j.contains("jobId")) std::printf("%s %s: job %s\n", verb, name->c_str(), Str(j["jobId"]).c_str());
        else std::printf("%s %s: ok\n", verb, name->c_str());
      });
    });
  });
}

}  // namespace

void AddScheduleCommands(CLI::App& app, std::shared_ptr<ClientOptions> o, int& rc) {
  auto one = std::make_shared<std::string>();
  CLI::App* list = app.add_subcommand("schedules", "List schedules with their next run; with NAME, its history");
  list->add_option("name", *one, "Show this schedule's next runs and slot history");
  list->callback([o, one, &rc] {
    if (!one->empty()) {
      rc = Show(*o, *one);
      return;
    }
    rc = WithClient(*o, [&](Client& c) {
      return PrintOr(*o, c.Call("GET", "/v1/schedules"), [](const json& j) {
        std::vector<std::vector<std::string>> rows = {{"SCHEDULE", "CRON", "TZ", "QUEUE", "NEXT", "PAUSED"}};
        for (const json& s : j["schedules"]) {
          rows.push_back({Str(s["name"]), Str(s["cron"]), Str(s["tz"]), Str(s["target"]["queue"]), Str(s["nextDue"]),
                          s.value("paused", false) ? "yes" : "no"});
        }
        PrintTable(rows);
      });
    });
  });
  CLI::App* sched = app.add_subcommand("schedule", "Manage one schedule");
  sched->require_subcommand(1);
  AddSet(*sched, o, rc);
  AddShow(*sched, o, rc);
  AddSimple(*sched, o, rc, "rm", "Delete a schedule (its fired jobs stay)", "DELETE", "");
  AddSimple(*sched, o, rc, "trigger", "Fire a schedule now", "POST", "/trigger");
  AddSimple(*sched, o, rc, "pause", "Stop firing a schedule", "POST", "/pause");
  AddSimple(*sched, o, rc, "resume", "Fire a paused schedule again, from now on", "POST", "/resume");
}

}  // namespace cronq::cli
