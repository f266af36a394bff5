#include "push/delivery.h"

#include <gtest/gtest.h>

#include "push/signature.h"

namespace cronq::push {
namespace {

constexpr TimeMs kNow = 1'700'000'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT

Lease SampleLease() {
  Lease l;
  l.id = "1";
  l.queue = "email";
  l.name = "welcome";
  l.data = R"({"to":"ada@example.com"})";
  l.attempt = 1;
  return l;
}

// The worked example of docs/push-protocol.md, checked against `openssl dgst -sha256 -hmac`.
TEST(Signature, WorkedExample) {
  const std::string body = PushBody(SampleLease());
  EXPECT_EQ(body, R"({"id":"1","queue":"email","name":"welcome","data":{"to":"ada@example.com"},"attempt":1})");
  EXPECT_EQ(SignatureHeader(1'700'000'000, body, {"whsec_test", "whsec_next"}),
            "t=1700000000,v1=33252187ec6094ed01c74c1227235237d4a9447afe5a89f6c60e5fc36dcdfa92"
            ",v1=afd7c6624c7b0bc129af4202ad9092ed7f0b0b6d745402cf99db86a19bff7abf");
  EXPECT_EQ(SignatureHeader(1'700'000'000, body, {"whsec_test"}),
            "t=1700000000,v1=33252187ec6094ed01c74c1227235237d4a9447afe5a89f6c60e5fc36dcdfa92");
}

TEST(Signature, Rfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PushRequest, BodyAndHeaders) {
  Lease l = SampleLease();
  l.fire_id = "nightly@2026-03-08T07:00:00Z";
  l.attempt = 3;
  l.data = "";
  const std::string body = PushBody(l);
  EXPECT_EQ(body, R"({"id":"1","queue":"email","name":"welcome","data":null,"attempt":3,)"
                  R"("fireId":"nightly@2026-03-08T07:00:00Z"})");
  PushConfig c;
  c.secrets = {"s"};
  c.headers = {{"x-extra", "v"}};
  net::Fields h = PushHeaders(l, c, body, 1'700'000'000);
  auto get = [&](const std::string& k) {
    for (const auto& [name, v] : h)
      if (name == k) return v;
    return std::string("<absent>");
  };
  EXPECT_EQ(get("Content-Type"), "application/json");
  EXPECT_EQ(get("User-Agent"), "cronq/0.1.0");
  EXPECT_EQ(get("Cronq-Job-Id"), "1");
  EXPECT_EQ(get("Cronq-Queue"), "email");
  EXPECT_EQ(get("Cronq-Attempt"), "3");
  EXPECT_EQ(get("Cronq-Fire-Id"), "nightly@2026-03-08T07:00:00Z");
  EXPECT_EQ(get("Cronq-Signature"), SignatureHeader(1'700'000'000, body, {"s"}));
  EXPECT_EQ(h.back(), (std::pair<std::string, std::string>{"x-extra", "v"}));
  EXPECT_EQ(get("Cronq-Fire-Id") != "<absent>", true);
  EXPECT_EQ(PushHeaders(SampleLease(), c, body, 0).size(), h.size() - 1) << "no Cronq-Fire-Id without a fire id";
}

TEST(RetryAfter, SecondsAndDates) {
  EXPECT_EQ(ParseRetryAfter("120", kNow), 120'000);
  EXPECT_EQ(ParseRetryAfter(" 0 ", kNow), 0);
  EXPECT_EQ(ParseRetryAfter("7200", kNow), kRetryAfterCap);
  EXPECT_EQ(ParseRetryAfter("99999999999999", kNow), kRetryAfterCap);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", kNow), 30'000);
  EXPECT_EQ(ParseRetryAfter("Tuesday, 14-Nov-23 22:14:20 GMT", kNow), 60'000);
  EXPECT_EQ(ParseRetryAfter("Tue Nov 14 22:13:25 2023", kNow), 5'000);
  EXPECT_EQ(ParseRetryAfter("Mon, 13 Nov 2023 22:13:20 GMT", kNow), 0) << "a past date means now";
  EXPECT_EQ(ParseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT", kNow), kRetryAfterCap);
  EXPECT_EQ(ParseRetryAfter("", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", kNow), std::nullopt);
}

net::CallResult Answer(int status, std::string body = "", net::Fields headers = {}) {
  net::CallResult r;
  r.response.status = status;
  r.response.body = std::move(body);
  r.response.headers = std::move(headers);
  return r;
}

TEST(Judge, TwoHundredsCompleteWithTheBodyAsResult) {
  Verdict v = Judge(Answer(200, R"({"sent": true})"), kNow);
  EXPECT_TRUE(v.complete);
  EXPECT_EQ(v.result, R"({"sent":true})");
  EXPECT_EQ(Judge(Answer(204), kNow).result, "null");
  EXPECT_EQ(Judge(Answer(202, "queued"), kNow).result, R"("queued")");
  Verdict big = Judge(Answer(200, std::string(200'000, 'x')), kNow);
  EXPECT_TRUE(big.complete);
  EXPECT_EQ(big.result.size(), kResultCap + 2) << "a string of 64 KiB, quoted";
  Verdict bad_utf8 = Judge(Answer(200, "\xff ok"), kNow);
  EXPECT_EQ(bad_utf8.result, R"("? ok")");
}

TEST(Judge, FailuresAndTheirRetryRules) {
  Verdict e500 = Judge(Answer(500, "database down"), kNow);
  EXPECT_FALSE(e500.complete);
  EXPECT_EQ(e500.message, "HTTP 500: database down");
  EXPECT_FALSE(e500.unrecoverable);
  EXPECT_FALSE(e500.retry_delay);

  Verdict r429 = Judge(Answer(429, "", {{"retry-after", "30"}}), kNow);
  EXPECT_EQ(r429.retry_delay, 30'000);
  EXPECT_EQ(Judge(Answer(503, "", {{"retry-after", "Tue, 14 Nov 2023 22:14:20 GMT"}}), kNow).retry_delay, 60'000);
  EXPECT_FALSE(Judge(Answer(500, "", {{"retry-after", "30"}}), kNow).retry_delay) << "only 429 and 503";
  EXPECT_FALSE(Judge(Answer(429), kNow).retry_delay) << "429 without Retry-After uses the backoff";

  Verdict stop = Judge(Answer(422, "bad address", {{"cronq-no-retry", " TRUE "}, {"retry-after", "5"}}), kNow);
  EXPECT_TRUE(stop.unrecoverable);
  EXPECT_FALSE(stop.retry_delay);
  EXPECT_FALSE(Judge(Answer(500, "", {{"cronq-no-retry", "false"}}), kNow).unrecoverable);
  EXPECT_FALSE(Judge(Answer(200, "", {{"cronq-no-retry", "true"}}), kNow).unrecoverable);

  Verdict redirect = Judge(Answer(308, "", {{"location", "/api/jobs/"}}), kNow);
  EXPECT_FALSE(redirect.complete);
  EXPECT_EQ(redirect.message, "HTTP 308 redirect (not followed) to /api/jobs/");

  net::CallResult timeout;
  timeout.error = net::CallError::kTimeout;
  timeout.message = "no answer before the deadline";
  Verdict t = Judge(timeout, kNow);
  EXPECT_TRUE(t.timed_out);
  EXPECT_FALSE(t.unrecoverable);
  net::CallResult tls;
  tls.error = net::CallError::kTls;
  tls.message = "certificate verify failed: self-signed certificate";
  Verdict v = Judge(tls, kNow);
  EXPECT_FALSE(v.timed_out);
  EXPECT_EQ(v.message, tls.message);
}

}  // namespace
}  // namespace cronq::push
