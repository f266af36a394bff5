// Redis-only behaviour the conformance suite cannot reach: URL parsing, and a
// Redis that runs out of memory (maxmemory with noeviction).
#include <gtest/gtest.h>

#include "storage/redis_store.h"
#include "support/redis_server.h"

namespace cronq {
namespace {

TEST(RedisUrl, Parses) {
  auto a = ParseRedisUrl("redis://10.0.0.5:6380/2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  auto b = ParseRedisUrl("redis://:s3cret@cache");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "cache");
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->password, "s3cret");
  EXPECT_TRUE(b->user.empty());
  auto c = ParseRedisUrl("redis://app:pw@h:1/0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->user, "app");
  EXPECT_EQ(c->password, "pw");
  EXPECT_FALSE(ParseRedisUrl("http://h:1").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:1/x").ok());
}

TEST(RedisStore, UnreachableIsUnavailable) {
  RedisOptions o;
  o.port = testing::FreePort();
  auto s = OpenRedisStore(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
}

// A full Redis refuses new work (503) without disturbing the rest of the batch,
// and still lets workers lease and complete what is queued, so it drains.
TEST(RedisStore, OutOfMemoryRefusesNewWorkButDrains) {
  testing::RedisServer server(false, {"--maxmemory", "4mb", "--maxmemory-policy", "noeviction"});
  ASSERT_TRUE(server.Start());
  RedisOptions o;
  o.port = server.port();
  auto opened = OpenRedisStore(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& s = **opened;
  const std::string big(64 * 1024, 'x');
  const std::string data = "\"" + big + "\"";
  // Batches of four enqueues until Redis refuses one: the refused enqueue fails
  // alone (503) and changes nothing; its batch's other operations commit.
  int stored = 0;
  bool refused = false;
  for (int batch = 0; batch < 200 && !refused; ++batch) {
    ASSERT_TRUE(s.Begin().ok());
    for (int i = 0; i < 4; ++i) {
      auto r = s.Enqueue("q", NewJob{"big", data, {}}, 1000);
      if (r.ok()) {
        ++stored;
        continue;
      }
      EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
      EXPECT_NE(r.status().message().find("OOM"), std::string::npos) << r.status().ToString();
      refused = true;
    }
    Status st = s.Commit();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  ASSERT_TRUE(refused) << "Redis never ran out of memory";
  ASSERT_GT(stored, 0);
  ASSERT_TRUE(s.Begin().ok());
  auto q = s.GetQueue("q");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->counts[static_cast<int>(JobState::kWaiting)], stored);
  // Draining works while Redis is full.
  auto leases = s.LeaseNext(FetchSpec{"q", 1000, 30'000, "w"}, 2000);
  ASSERT_TRUE(leases.ok()) << leases.status().ToString();
  ASSERT_EQ(static_cast<int>(leases->size()), stored);
  std::vector<CompleteSpec> done;
  for (const Lease& l : *leases) done.push_back(CompleteSpec{"q", l.id, l.token, ""});
  for (auto& r : s.CompleteBatch(done, 3000)) EXPECT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(s.Commit().ok());
}

}  // namespace
}  // namespace cronq
