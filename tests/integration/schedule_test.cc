// Schedules on the real binary: every-second crons across SIGTERM and SIGKILL
// restarts keep exactly one record per slot and one job per fired slot.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;

json History(ServerProcess& s, const std::string& name) {
  auto r = s.Call("GET", "/v1/schedules/" + name + "?history=1000");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json["history"];
}

int64_t EpochSeconds(const std::string& iso) {  // "2026-11-27T22:50:56Z"
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return static_cast<int64_t>(timegm(&tm));
}

// Every slot between the oldest and the newest appears exactly once, one second apart.
void ExpectContiguousSeconds(const json& history) {
  for (size_t i = 1; i < history.size(); ++i) {  // newest first
    EXPECT_EQ(EpochSeconds(history[i - 1]["due"]) - EpochSeconds(history[i]["due"]), 1)
        << "between " << history[i]["due"] << " and " << history[i - 1]["due"];
  }
}

TEST(Schedules, EverySecondAcrossRestartsFiresEachSlotOnce) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  auto put = s.Call("PUT", "/v1/schedules/tick",
                    json{{"cron", "* * * * * *"}, {"target", {{"queue", "ticks"}, {"data", {{"v", 1}}}}},
                         {"missed", "once"}});
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_EQ(put.json["nextRuns"].size(), 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(s.Stop(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(4200));  // 4 slots pass while down
  s.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  s.Kill();  // and once more without a clean shutdown
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  s.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  // Upserting the same definition again (a redeploy) neither skips nor repeats.
  ASSERT_EQ(s.Call("PUT", "/v1/schedules/tick",
                   json{{"cron", "* * * * * *"}, {"target", {{"queue", "ticks"}, {"data", {{"v", 1}}}}},
                        {"missed", "once"}})
                .status,
            200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  json h = History(s, "tick");
  ASSERT_GE(h.size(), 9u);
  ExpectContiguousSeconds(h);
  // Consecutive due instants, one second apart, no gaps: every slot was handled.
  std::map<std::string, int> status_count;
  std::set<std::string> job_ids;
  int missed = 0;
  for (const json& e : h) {
    status_count[e["status"]]++;
    if (e["status"] == "missed") ++missed;
    if (!e["job"].is_null()) {
      EXPECT_TRUE(job_ids.insert(e["job"]["id"].get<std::string>()).second);
    }
  }
  // Of the 4 slots passed while down, the latest runs once (policy once), one may
  // still be within the 1 s grace, and the rest are recorded as missed.
  EXPECT_GE(missed, 1) << "the downtime's slots should be recorded as missed";
  // Every fired slot has exactly one job, and the job carries the slot's fire id.
  auto q = s.Call("GET", "/v1/queues/ticks");
  int64_t total = 0;
  for (auto& [k, v] : q.json["counts"].items()) total += v.get<int64_t>();
  EXPECT_EQ(total, static_cast<int64_t>(job_ids.size()));
  const json& newest_fired = *std::find_if(h.begin(), h.end(), [](const json& e) { return !e["job"].is_null(); });
  auto job = s.Call("GET", "/v1/queues/ticks/jobs/" + newest_fired["job"]["id"].get<std::string>());
  EXPECT_EQ(job.json["fireId"], newest_fired["fireId"]);
  EXPECT_EQ(job.json["data"]["v"], 1);
  // While up, slots fire promptly (the late ones are the catch-up fires after a restart).
  int fired = 0, prompt = 0;
  for (const json& e : h) {
    if (e["status"] == "missed") continue;
    ++fired;
    prompt += e["latenessMs"].get<int64_t>() < 200;
  }
  EXPECT_GE(prompt * 2, fired) << h.dump();
  // While up, slots of this overlap-allow schedule are claimed ahead: claimed before
  // their instant, handled at it, their job delayed until then.
  int ahead = 0;
  for (const json& e : h) {
    const int64_t claimed = e["claimedAt"].get<int64_t>(), handled = e["handledAt"].get<int64_t>();
    EXPECT_LE(claimed, handled) << e.dump();
    if (claimed == handled) continue;
    ++ahead;
    EXPECT_EQ(e["latenessMs"], 0) << e.dump();
  }
  EXPECT_GE(ahead, 1) << h.dump();
}

TEST(Schedules, CompletedAndFailedRunsShowInTheHistory) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  ASSERT_EQ(s.Call("PUT", "/v1/schedules/job", json{{"cron", "0 0 1 1 *"}, {"target", {{"queue", "q"}}}}).status, 200);
  auto t1 = s.Call("POST", "/v1/schedules/job/trigger");
  ASSERT_EQ(t1.status, 201) << t1.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t2 = s.Call("POST", "/v1/schedules/job/trigger");
  ASSERT_EQ(t2.status, 201) << t2.body;
  auto f = s.Call("POST", "/v1/queues/q/fetch", json{{"max", 2}});
  ASSERT_EQ(f.json["jobs"].size(), 2u);
  EXPECT_TRUE(f.json["jobs"][0]["fireId"].get<std::string>().rfind("job@", 0) == 0);
  s.Call("POST", "/v1/queues/q/jobs/" + f.json["jobs"][0]["id"].get<std::string>() + "/complete",
         json{{"token", f.json["jobs"][0]["token"]}});
  s.Call("POST", "/v1/queues/q/jobs/" + f.json["jobs"][1]["id"].get<std::string>() + "/fail",
         json{{"token", f.json["jobs"][1]["token"]}, {"error", "boom"}});
  json h = History(s, "job");
  ASSERT_EQ(h.size(), 2u);
  std::multiset<std::string> statuses = {h[0]["status"], h[1]["status"]};
  EXPECT_EQ(statuses, (std::multiset<std::string>{"completed", "failed"}));
  EXPECT_EQ(h[0]["note"], "manual trigger");
}

TEST(Schedules, BadDefinitionsAreRefusedClearly) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  struct Case {
    json body;
    const char* fragment;
  } cases[] = {
      {json{{"cron", "61 * * * *"}, {"target", {{"queue", "q"}}}}, "minute"},
      {json{{"cron", "* * * * *"}, {"tz", "Mars/Olympus"}, {"target", {{"queue", "q"}}}}, "Mars/Olympus"},
      {json{{"cron", "* * * * *"}}, "target is required"},
      {json{{"cron", "* * * * *"}, {"target", {{"queue", "bad queue"}}}}, "queue name"},
      {json{{"cron", "* * * * *"}, {"target", {{"queue", "q"}}}, {"missed", "sometimes"}}, "missed must be"},
      {json{{"cron", "* * * * *"}, {"target", {{"queue", "q"}}}, {"missed", "within"}}, "missedWithinMs"},
      {json{{"cron", "* * * * *"}, {"target", {{"queue", "q"}}}, {"startAt", "yesterday"}}, "startAt"},
      {json{{"cron", "* * * * *"}, {"target", {{"queue", "q"}}}, {"every", 5}}, "unknown field 'every'"},
  };
  for (const Case& c : cases) {
    auto r = s.Call("PUT", "/v1/schedules/x", c.body);
    EXPECT_EQ(r.status, 400) << c.body.dump() << " -> " << r.body;
    EXPECT_NE(r.json["error"]["message"].get<std::string>().find(c.fragment), std::string::npos)
        << c.body.dump() << " -> " << r.body;
  }
  EXPECT_EQ(s.Call("GET", "/v1/schedules/nope").status, 404);
  EXPECT_EQ(s.Call("DELETE", "/v1/schedules/nope").status, 404);
  EXPECT_EQ(s.Call("POST", "/v1/schedules/nope/trigger").status, 404);
  EXPECT_EQ(s.Call("PUT", "/v1/schedules/bad%20name", json{{"cron", "* * * * *"}, {"target", {{"queue", "q"}}}}).status, 400);
  EXPECT_EQ(s.Call("GET", "/v1/schedules").json["schedules"].size(), 0u);
}

TEST(Schedules, ConfigFileSchedulesAreUpsertedAtStart) {
  TempDir dir;
  {
    std::ofstream cfg(dir.File("cronq.toml"));
    cfg << "[[schedules]]\nname = \"nightly-report\"\ncron = \"0 3 * * *\"\ntz = \"Europe/London\"\n"
        << "missed = \"skip\"\noverlap = \"forbid\"\n"
        << "target = { queue = \"reports\", name = \"build\", data = { kind = \"daily\", pages = 3 }, "
        << "opts = { attempts = 3 } }\n";
  }
  ServerProcess s(dir.File("data"), {"--config", dir.File("cronq.toml")});
  s.Start();
  auto r = s.Call("GET", "/v1/schedules/nightly-report");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["cron"], "0 3 * * *");
  EXPECT_EQ(r.json["tz"], "Europe/London");
  EXPECT_EQ(r.json["missed"], "skip");
  EXPECT_EQ(r.json["overlap"], "forbid");
  EXPECT_EQ(r.json["target"]["queue"], "reports");
  EXPECT_EQ(r.json["target"]["data"]["pages"], 3);
  EXPECT_EQ(r.json["target"]["opts"]["attempts"], 3);
  EXPECT_EQ(r.json["nextRuns"].size(), 5u);
  // Restarting with the same file keeps one schedule and its next slot.
  std::string next = r.json["nextDue"];
  EXPECT_EQ(s.Stop(), 0);
  s.Start();
  auto again = s.Call("GET", "/v1/schedules");
  ASSERT_EQ(again.json["schedules"].size(), 1u);
  EXPECT_EQ(again.json["schedules"][0]["nextDue"], next);
}

// Runs `cronq serve` with `toml` as its config file until it exits (a bad config
// stops it at start-up): its exit status and everything it printed.
std::pair<int, std::string> ServeWithConfig(const std::string& toml) {
  TempDir dir;
  {
    std::ofstream cfg(dir.File("cronq.toml"));
    cfg << toml;
  }
  std::string cmd = "CRONQ_ADMIN_TOKEN=0123456789abcdef0123 " + CronqBinary() + " --data " + dir.File("data") +
                    " serve --listen 127.0.0.1:0 --config " + dir.File("cronq.toml") + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

TEST(Schedules, ABadConfigScheduleStopsTheServerWithAMessage) {
  auto [status, out] =
      ServeWithConfig("[[schedules]]\nname = \"broken\"\ncron = \"0 25 * * *\"\ntarget = { queue = \"q\" }\n");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("schedule broken: hour"), std::string::npos) << out;
}

// schedule_lead_ms from cronq.toml: 30 s claims the next 30 every-second slots
// at once, each handled at its instant with its job delayed until then; 0 claims
// every slot at its instant (claimedAt = handledAt).
TEST(Schedules, TheLeadFromTheConfigFileDecidesHowFarAheadSlotsAreClaimed) {
  for (int lead : {30'000, 0}) {
    TempDir dir;
    {
      std::ofstream cfg(dir.File("cronq.toml"));
      cfg << "schedule_lead_ms = " << lead << "\n";
    }
    ServerProcess s(dir.File("data"), {"--config", dir.File("cronq.toml")});
    s.Start();
    ASSERT_EQ(s.Call("PUT", "/v1/schedules/tick", json{{"cron", "* * * * * *"}, {"target", {{"queue", "ticks"}}}}).status,
              200);
    json h = History(s, "tick");
    for (int i = 0; i < 100 && h.size() < (lead ? 25u : 2u); ++i) {  // up to 10 s on a loaded machine
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      h = History(s, "tick");
    }
    ASSERT_GE(h.size(), lead ? 25u : 2u) << h.dump();
    int ahead = 0;
    for (const json& e : h) ahead += e["claimedAt"].get<int64_t>() < e["handledAt"].get<int64_t>();
    if (lead) {
      EXPECT_GE(ahead, 25) << h.dump();
      auto q = s.Call("GET", "/v1/queues/ticks");
      EXPECT_GE(q.json["counts"]["delayed"].get<int64_t>(), 25) << q.body;
    } else {
      EXPECT_EQ(ahead, 0) << h.dump();
    }
  }
}

TEST(Schedules, AScheduleLeadOutOfRangeStopsTheServer) {
  auto [status, out] = ServeWithConfig("schedule_lead_ms = 60001\n");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("schedule_lead_ms must be between 0 and 60000"), std::string::npos) << out;
}

TEST(Config, ASqliteCacheOutOfRangeStopsTheServer) {
  auto [status, out] = ServeWithConfig("sqlite_cache_mib = 0\n");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("sqlite_cache_mib must be between 1 and 65536"), std::string::npos) << out;
}

}  // namespace
}  // namespace cronq::testing
