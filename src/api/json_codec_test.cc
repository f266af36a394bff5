#include "api/json_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "api/errors.h"

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
