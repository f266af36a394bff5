#include "api/json_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/errors.h"
#include "api/schedule_json.h"
#include "core/cron/iso8601.h"

namespace cronq::api {
namespace {

Result<NewJob> Parse(const std::string& text) {
  Result<json> j = ParseBody(text);
  if (!j.ok()) return j.status();
  return ParseNewJob(*j);
}

TEST(JsonCodec, BullMqShapedOptions) {
  auto j = Parse(R"({"name":"send","data":{"to":"a@b.c"},"opts":{"attempts":3,
      "backoff":{"type":"exponential","delay":1000,"jitter":0.5},"delay":250,"priority":2,"jobId":"order-1",
      "timeout":5000,"removeOnComplete":true,"removeOnFail":{"age":3600,"count":10}}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->name, "send");
  EXPECT_EQ(j->data, R"({"to":"a@b.c"})");
  EXPECT_EQ(j->opts.attempts, 3);
  EXPECT_EQ(j->opts.backoff.type, Backoff::Type::kExponential);
  EXPECT_EQ(j->opts.backoff.delay, 1000);
  EXPECT_DOUBLE_EQ(j->opts.backoff.jitter, 0.5);
  EXPECT_EQ(j->opts.delay, 250);
  EXPECT_EQ(j->opts.priority, 2);
  EXPECT_EQ(j->opts.job_id, "order-1");
  EXPECT_EQ(j->opts.timeout, 5000);
  EXPECT_TRUE(j->opts.remove_on_complete.remove_now);
  EXPECT_EQ(j->opts.remove_on_fail.age, 3'600'000);  // seconds, as in BullMQ
  EXPECT_EQ(j->opts.remove_on_fail.count, 10);
}

TEST(JsonCodec, ShorthandsAndDefaults) {
  auto j = Parse(R"({"name":"x","opts":{"backoff":2000,"removeOnComplete":100}})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->data, "null");
  EXPECT_EQ(j->opts.backoff.type, Backoff::Type::kFixed);
  EXPECT_EQ(j->opts.backoff.delay, 2000);
  EXPECT_EQ(j->opts.remove_on_complete.count, 100);
  EXPECT_EQ(j->opts.attempts, 1);
}

TEST(JsonCodec, BadInputsNameTheProblem) {
  struct Case {
    const char* body;
    const char* fragment;
  } cases[] = {
      {R"({"name":"x",)", "malformed JSON"},
      {R"({"data":1})", "name is required"},
      {R"({"name":5})", "name is required"},
      {R"({"name":"x","opts":{"attempts":"3"}})", "opts.attempts must be an integer"},
      {R"({"name":"x","opts":{"lifo":true}})", "unknown field 'lifo'"},
      {R"({"name":"x","extra":1})", "unknown field 'extra'"},
      {R"({"name":"x","opts":{"backoff":{"type":"linear","delay":1}}})", "fixed\" or \"exponential"},
      {R"({"name":"x","opts":{"jobId":"123"}})", "must not be all digits"},
      {R"({"name":"x","opts":{"attempts":0}})", "attempts must be between"},
      {R"({"name":"x","opts":{"priority":-1}})", "priority out of range"},
      {R"([1,2])", "must be an object"},
      {R"({"name":"x","opts":{"timeout":9223372036854775807}})", "timeout must be between"},
      {R"({"name":"x","opts":{"backoff":1.7}})", "must be an integer"},
      {R"({"name":"x","opts":{"delay":1e300}})", "must be an integer"},
      {R"({"name":"x","opts":{"delay":18446744073709551615}})", "too large"},
      {R"({"name":"x","opts":{"removeOnFail":{"age":-5}}})", "age must be between"},
      {R"({"name":"x","opts":{"removeOnFail":{"age":9223372036854775807}}})", "age must be between"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
}

TEST(JsonCodec, DepthIsLimited) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  auto r = ParseBody(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);
  std::string ok(20, '[');
  ok += std::string(20, ']');
  EXPECT_TRUE(ParseBody(ok).ok());
}

TEST(JsonCodec, LeasesAreValidJsonWithRawData) {
  Lease l;
  l.queue = "q";
  l.id = "7";
  l.name = "na\"me";
  l.data = R"({"a":[1,2]})";
  l.token = "1.abc";
  auto j = json::parse(LeasesJson({l, l}));
  ASSERT_EQ(j["jobs"].size(), 2u);
  EXPECT_EQ(j["jobs"][0]["name"], "na\"me");
  EXPECT_EQ(j["jobs"][0]["data"]["a"][1], 2);
  EXPECT_EQ(j["jobs"][1]["token"], "1.abc");
}

TEST(JsonCodec, FailAcceptsStringOrObjectErrors) {
  auto f = ParseFail(json::parse(R"({"token":"t","error":"boom"})"), "q", "1");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->message, "boom");
  f = ParseFail(json::parse(R"({"token":"t","error":{"message":"m","stack":"s"},"unrecoverable":true})"), "q", "1");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->stack, "s");
  EXPECT_TRUE(f->unrecoverable);
  EXPECT_FALSE(ParseFail(json::parse(R"({"error":"x"})"), "q", "1").ok());
}

TEST(Errors, EveryCodeMapsToOneHttpStatus) {
  EXPECT_EQ(HttpStatusFor(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(Code::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(Code::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(Code::kConflict), 409);
  EXPECT_EQ(HttpStatusFor(Code::kTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(Code::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(Code::kInternal), 500);
  auto r = ErrorResponse(Status::Conflict("stale"));
  auto j = json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "conflict");
  EXPECT_EQ(j["error"]["message"], "stale");
}

TEST(Auth, ScopesAndConstantTimeLookup) {
  TokenSet set({{"ops", "admin-secret", Scope::kAdmin}, {"app", "prod-secret", Scope::kProducer},
                {"viewer", "read-secret", Scope::kRead}});
  EXPECT_EQ((*set.Authenticate("Bearer prod-secret"))->name, "app");
  EXPECT_FALSE(set.Authenticate("Bearer nope").ok());
  EXPECT_FALSE(set.Authenticate("prod-secret").ok());
  EXPECT_FALSE(set.Authenticate("").ok());
  EXPECT_TRUE(Allows(Scope::kAdmin, Scope::kWorker));
  EXPECT_TRUE(Allows(Scope::kProducer, Scope::kRead));
  EXPECT_FALSE(Allows(Scope::kProducer, Scope::kWorker));
  EXPECT_FALSE(Allows(Scope::kRead, Scope::kProducer));
  EXPECT_FALSE(Allows(Scope::kWorker, Scope::kAdmin));
}

}  // namespace
}  // namespace cronq::api

namespace cronq::api {
namespace {

Result<QueueUpdate> ParseQueue(const std::string& text) {
  Result<json> j = ParseBody(text);
  if (!j.ok()) return j.status();
  return ParseQueueUpdate(*j);
}

TEST(QueueCodec, PushConfigAndDefaults) {
  auto u = ParseQueue(R"({"push":{"url":"https://app.example.com/api/jobs/email","secrets":["cur","nxt"],
      "timeoutMs":60000,"concurrency":10,"rateLimit":{"max":100,"perMs":1000},"headers":{"x-extra":"v"}},
      "paused":false,"defaultJobOptions":{"attempts":5,"backoff":{"type":"exponential","delay":1000}}})");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  ASSERT_TRUE(u->push && *u->push);
  const PushConfig& p = **u->push;
  EXPECT_EQ(p.url, "https://app.example.com/api/jobs/email");
  EXPECT_EQ(p.secrets, (std::vector<std::string>{"cur", "nxt"}));
  EXPECT_EQ(p.timeout, 60000);
  EXPECT_EQ(p.concurrency, 10);
  EXPECT_EQ(p.rate, (RateLimit{100, 1000}));
  ASSERT_EQ(p.headers.size(), 1u);
  EXPECT_EQ(u->paused, false);
  EXPECT_EQ(u->defaults->attempts, 5);
  EXPECT_EQ(u->defaults->backoff->type, Backoff::Type::kExponential);

  auto pull = ParseQueue(R"({"push":null})");
  ASSERT_TRUE(pull.ok());
  EXPECT_TRUE(pull->push && !*pull->push) << "null turns a push queue back into a pull queue";
  EXPECT_FALSE(pull->paused);
  EXPECT_FALSE(pull->defaults);
}

TEST(QueueCodec, BadConfigsAreRefusedWithTheField) {
  const char* bad[][2] = {
      {R"({"push":{"url":"ftp://x/y","secrets":["s"]}})", "push.url"},
      {R"({"push":{"url":"http://x/y"}})", "push.secrets"},
      {R"({"push":{"url":"http://x/y","secrets":[]}})", "push.secrets"},
      {R"({"push":{"url":"http://x/y","secrets":["a","b","c"]}})", "push.secrets"},
      {R"({"push":{"url":"http://x/y","secrets":[""]}})", "push.secrets"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"timeoutMs":0}})", "push.timeoutMs"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"concurrency":0}})", "push.concurrency"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"rateLimit":{"max":0,"perMs":10}}})", "push.rateLimit"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"headers":{"Cronq-Attempt":"9"}}})", "push.headers"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"headers":{"Content-Length":"9"}}})", "push.headers"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"headers":{"x":"a\nb"}}})", "push.headers"},
      {R"({"push":{"url":"http://x/y","secrets":["s"],"retries":3}})", "unknown field 'retries'"},
      {R"({"defaultJobOptions":{"attempts":0}})", "defaultJobOptions.attempts"},
      {R"({"defaultJobOptions":{"delay":5}})", "unknown field 'delay'"},
      {R"({"paused":"yes"})", "paused"},
  };
  for (const auto& [body, field] : bad) {
    auto u = ParseQueue(body);
    ASSERT_FALSE(u.ok()) << body;
    EXPECT_TRUE(u.status().IsInvalidArgument()) << body;
    EXPECT_NE(u.status().message().find(field), std::string::npos) << body << " -> " << u.status().message();
  }
}

TEST(QueueCodec, SecretsAreMaskedInAnswers) {
  QueueInfo q;
  q.name = "email";
  PushConfig p;
  p.url = "https://a.example/x";
  p.secrets = {"topsecret", "nextsecret"};
  p.headers = {{"Authorization", "Bearer abc"}, {"x-region", "eu"}};
  q.config.push = p;
  json j = QueueJson(q, 0);
  EXPECT_EQ(j["push"]["secrets"], json({"***", "***"}));
  EXPECT_EQ(j["push"]["headers"]["Authorization"], "***");
  EXPECT_EQ(j["push"]["headers"]["x-region"], "eu");
  EXPECT_EQ(j["push"]["url"], "https://a.example/x");
  EXPECT_EQ(j["push"]["rateLimit"], nullptr);
  EXPECT_EQ(j.dump().find("topsecret"), std::string::npos);
  EXPECT_EQ(j["defaultJobOptions"], nullptr);
}

TEST(QueueCodec, AJobRemembersWhichRetryOptionsItSet) {
  auto none = Parse(R"({"name":"a"})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->attempts_set);
  EXPECT_FALSE(none->backoff_set);
  auto both = Parse(R"({"name":"a","opts":{"attempts":1,"backoff":100}})");
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->attempts_set);
  EXPECT_TRUE(both->backoff_set);
}

}  // namespace
// A slot claimed ahead has moved next_due past it; until its instant it is still
// the next run that nextDue and nextRuns show.
TEST(ScheduleJsonTest, NextDueShowsASlotClaimedAheadUntilItsInstant) {
  ScheduleState st;
  st.def.name = "tick";
  st.def.expr = "0 * * * * *";  // every minute, at second 0
  st.def.queue = "q";
  st.def.job = NewJob{"tick", "null", {}};
  const TimeMs slot = *ParseIso8601("2026-06-01T12:01:00Z");
  st.next_due = *ParseIso8601("2026-06-01T12:02:00Z");  // 12:01 was claimed ahead
  json ahead = ScheduleJson(st, 2, slot - 500);
  EXPECT_EQ(ahead["nextDue"], "2026-06-01T12:01:00Z");
  EXPECT_EQ(ahead["nextRuns"], json::array({"2026-06-01T12:01:00Z", "2026-06-01T12:02:00Z"}));
  EXPECT_EQ(ScheduleJson(st, 1, slot)["nextDue"], "2026-06-01T12:02:00Z");  // its instant has come
  // Behind (next_due already passed): the slot still to handle shows, as before.
  EXPECT_EQ(ScheduleJson(st, 1, *st.next_due + 30'000)["nextDue"], "2026-06-01T12:02:00Z");
  // The last slot before endAt, claimed ahead: next_due is none, the slot still shows.
  st.next_due = std::nullopt;
  st.def.policy.end_at = slot;
  EXPECT_EQ(ScheduleJson(st, 1, slot - 500)["nextDue"], "2026-06-01T12:01:00Z");
  EXPECT_TRUE(ScheduleJson(st, 1, slot)["nextDue"].is_null());
  st.def.paused = true;
  EXPECT_TRUE(ScheduleJson(st, 1, slot - 500)["nextDue"].is_null());
}

}  // namespace cronq::api
