// The `cronq` CLI against a running server.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

struct CliRun {
  int code;
  std::string out;
};

CliRun Cli(const std::string& args) {
  std::string cmd = CronqBinary() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Cli, EnqueueInspectAndAct) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  const std::string base = "--url " + s.url() + " --token " + s.token() + " ";
  CliRun r = Cli(base + "enqueue email welcome --data '{\"to\":\"a@b.c\"}' --attempts 3 --backoff exponential:5000");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("enqueued 1 (waiting)"), std::string::npos) << r.out;
  r = Cli(base + "enqueue email later --delay 10m --id promo-1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Cli(base + "enqueue email again --id promo-1");
  EXPECT_NE(r.out.find("duplicate of promo-1"), std::string::npos) << r.out;
  r = Cli(base + "queues");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("WAITING"), std::string::npos);
  EXPECT_NE(r.out.find("email"), std::string::npos);
  r = Cli(base + "jobs email --state delayed");
  EXPECT_NE(r.out.find("later"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("welcome"), std::string::npos) << r.out;
  r = Cli(base + "--json job email 1");
  EXPECT_EQ(r.code, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["data"]["to"], "a@b.c");
  EXPECT_EQ(j["opts"]["backoff"]["type"], "exponential");
  EXPECT_EQ(Cli(base + "promote email promo-1").code, 0);
  EXPECT_EQ(Cli(base + "pause email").code, 0);
  EXPECT_EQ(s.Call("GET", "/v1/queues/email").json["paused"], true);
  EXPECT_EQ(Cli(base + "resume email").code, 0);
  EXPECT_EQ(Cli(base + "remove email promo-1").code, 0);
}

TEST(Cli, ErrorsPrintAMessageAndExitNonZero) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  const std::string base = "--url " + s.url() + " --token " + s.token() + " ";
  CliRun r = Cli(base + "job email 42");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("not found"), std::string::npos) << r.out;
  r = Cli(base + "enqueue email x --data '{bad'");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--data is not valid JSON"), std::string::npos) << r.out;
  r = Cli(base + "enqueue 'bad queue' x");
  EXPECT_NE(r.code, 0);
  r = Cli("--url " + s.url() + " --token wrong queues");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("401"), std::string::npos) << r.out;
  r = Cli("--url http://127.0.0.1:1 --token x queues");
  EXPECT_NE(r.code, 0);
}

TEST(Cli, ServeGeneratesAndReusesTheAdminToken) {
  TempDir dir;
  std::string data = dir.File("data");
  // No CRONQ_ADMIN_TOKEN: the server generates one and saves it.
  std::string cmd = "cd " + dir.path().string() + " && env -u CRONQ_ADMIN_TOKEN timeout -s TERM 1 " + CronqBinary() +
                    " --data " + data + " serve --listen 127.0.0.1:0";
  CliRun r = Cli("--version");
  EXPECT_EQ(r.code, 0);
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 1024> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  pclose(p);
  EXPECT_NE(out.find("generated admin token"), std::string::npos) << out;
  std::ifstream in(data + "/admin.token");
  std::string token;
  std::getline(in, token);
  EXPECT_EQ(token.rfind("cq_", 0), 0u);
  EXPECT_NE(out.find(token), std::string::npos);
}

}  // namespace
}  // namespace cronq::testing

namespace cronq::testing {
namespace {

TEST(Cli, CronNextPrintsUtcInstantsAndRejectsBadExpressions) {
  CliRun r = Cli("cron next '30 2 * * *' --tz America/New_York --from 2026-03-07T00:00:00Z --count 3");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "2026-03-07T07:30:00Z\n2026-03-08T07:00:00Z\n2026-03-09T06:30:00Z\n");
  r = Cli("cron next '0 9 * * MON-FRI' --tz Europe/London --from 2026-10-23T12:00:00Z --count 2");
  EXPECT_EQ(r.out, "2026-10-26T09:00:00Z\n2026-10-27T09:00:00Z\n");
  r = Cli("cron next '61 * * * *' --from 2026-01-01T00:00:00Z");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("minute"), std::string::npos) << r.out;
  r = Cli("cron next '* * * * *' --tz Mars/Olympus_Mons --from 2026-01-01T00:00:00Z");
  EXPECT_NE(r.code, 0);
}

}  // namespace
}  // namespace cronq::testing

namespace cronq::testing {
namespace {

TEST(Cli, SchedulesSetShowTriggerAndRemove) {
  TempDir dir;
  ServerProcess s(dir.File("data"));
  s.Start();
  const std::string base = "--url " + s.url() + " --token " + s.token() + " ";
  CliRun r = Cli(base + "schedule set nightly --cron '0 3 * * *' --tz Europe/London --queue reports "
                        "--data '{\"kind\":\"daily\"}' --missed skip --overlap forbid");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("schedule nightly: next"), std::string::npos) << r.out;
  r = Cli(base + "schedules");
  EXPECT_NE(r.out.find("nightly"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Europe/London"), std::string::npos) << r.out;
  r = Cli(base + "schedule trigger nightly");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("trigger nightly: job"), std::string::npos) << r.out;
  r = Cli(base + "schedules nightly");  // the history, as `schedule show`
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("manual trigger"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("missed=skip overlap=forbid"), std::string::npos) << r.out;
  r = Cli(base + "schedule set bad --cron '0 25 * * *' --queue q");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("hour"), std::string::npos) << r.out;
  EXPECT_EQ(Cli(base + "schedule rm nightly").code, 0);
  EXPECT_NE(Cli(base + "schedule show nightly").code, 0);
}

}  // namespace
}  // namespace cronq::testing
