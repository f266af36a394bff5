// Redis-only behaviour the conformance suite cannot reach: URL parsing, a Redis
// that runs out of memory (maxmemory with noeviction), and a rollback that puts
// back every key exactly as it was.
#include <gtest/gtest.h>

#include "storage/redis_store.h"
#include "support/redis_server.h"

namespace cronq {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;

// A store on a redis-server the test started; null (and a failure) if it cannot open.
std::unique_ptr<Store> OpenOn(const testing::RedisServer& server) {
  RedisOptions o;
  o.port = server.port();
  auto opened = OpenRedisStore(o);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(*opened) : nullptr;
}

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
  std::unique_ptr<Store> opened = OpenOn(server);
  ASSERT_NE(opened, nullptr);
  Store& s = *opened;
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

// Every key but the journals and the sequence counter, each as its name and a
// digest of its type and contents (hash fields sorted), in key order.
std::string Keyspace(const testing::RedisServer& server) {
  return server.Command(
      "EVAL \"local ks = redis.call('KEYS', '*'); table.sort(ks); local out = {}; "
      "for _, k in ipairs(ks) do if not string.find(k, 'journal/', 1, true) and k ~= 'cronq:seq' then "
      "local t = redis.call('TYPE', k).ok; local v = {t}; "
      "if t == 'hash' then local h = redis.call('HGETALL', k); local ps = {}; "
      "for i = 1, #h, 2 do ps[#ps + 1] = h[i] .. '=' .. h[i + 1] end; table.sort(ps); v = ps "
      "elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES') "
      "elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1) "
      "elseif t == 'string' then v = {redis.call('GET', k)} end; "
      "out[#out + 1] = k .. ':' .. string.sub(redis.sha1hex(t .. '|' .. table.concat(v, '|')), 1, 8) end end; "
      "return table.concat(out, ' ')\" 0");
}

// Job data longer than the 64 bytes a job hash keeps inline (j/<seq>/d).
const std::string kLongData = "{\"p\":\"" + std::string(100, 'x') + "\"}";

// A store on its own redis-server with default settings.
class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    opened_ = OpenOn(server_);
    ASSERT_NE(opened_, nullptr);
  }
  testing::RedisServer server_;
  std::unique_ptr<Store> opened_;
};

// A batch that leases (waiting and due delayed jobs, a timeout, a job leased
// before), completes (one of them trimming an older completed job by retention),
// fails into a retry and into `failed`, then rolls back, leaves every key as it
// was: the journal of the lease and finish scripts restores each field.
TEST_F(RedisStoreTest, RollbackRestoresEveryKeyExactly) {
  Store& s = *opened_;
  // Data over 64 bytes lives in its own key (j/<seq>/d): those keys are journaled too.
  auto add = [&](const std::string& name, JobOptions opts, const std::string& data = "null") {
    auto r = s.Enqueue("q", NewJob{name, data, opts}, kT0);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  };
  auto lease = [&](int max, TimeMs now, const std::string& worker) {
    auto r = s.LeaseNext(FetchSpec{"q", max, 30'000, worker}, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Lease>{};
  };
  ASSERT_TRUE(s.Begin().ok());
  JobOptions keep_one;
  keep_one.remove_on_complete.count = 1;
  add("old", keep_one, kLongData);
  std::vector<Lease> first = lease(1, kT0, "w1");  // "old", completed below
  ASSERT_EQ(first.size(), 1u);
  add("plain", {}, kLongData);
  JobOptions timed;
  timed.timeout = 5'000;
  add("timed", timed);
  add("kept", keep_one, kLongData);
  JobOptions retried;
  retried.attempts = 3;
  retried.job_id = "fixed";
  add("retried", retried);
  JobOptions later;
  later.delay = 10;
  add("later", later);
  add("held", {}, kLongData);
  for (auto& r : s.CompleteBatch({CompleteSpec{"q", first[0].id, first[0].token, "1"}}, kT0 + 1))
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  // "plain" leased once and put back by an operator: it carries an earlier lease's fields.
  std::vector<Lease> again = lease(1, kT0 + 2, "w1");
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(s.Fail(FailSpec{"q", again[0].id, again[0].token, "boom", "", true}, kT0 + 3, 1.0).ok());
  ASSERT_TRUE(s.Retry("q", again[0].id, kT0 + 4).ok());
  ASSERT_TRUE(s.Commit().ok());
  // "plain", the oldest waiting job, leased and held into the batch below.
  ASSERT_TRUE(s.Begin().ok());
  std::vector<Lease> held = lease(1, kT0 + 5, "");
  ASSERT_EQ(held.size(), 1u);
  ASSERT_TRUE(s.Commit().ok());

  const std::string before = Keyspace(server_);
  ASSERT_EQ(before.rfind("$", 0), 0u) << before;
  ASSERT_TRUE(s.Begin().ok());
  std::vector<Lease> ls = lease(10, kT0 + 20, "w2");
  ASSERT_EQ(ls.size(), 5u);  // timed, kept, retried, later (due), held
  std::vector<CompleteSpec> acks{{"q", held[0].id, held[0].token, "r"}};
  for (const Lease& l : ls) {
    if (l.name == "kept" || l.name == "timed" || l.name == "held") acks.push_back(CompleteSpec{"q", l.id, l.token, ""});
  }
  // Acked again at the end: by then "kept"'s retention (keep one completed job)
  // has deleted it, after its index moves were written.
  acks.push_back(CompleteSpec{"q", held[0].id, held[0].token, "r"});
  auto done = s.CompleteBatch(acks, kT0 + 21);
  for (size_t i = 0; i + 1 < done.size(); ++i) EXPECT_TRUE(done[i].ok()) << done[i].status().ToString();
  EXPECT_TRUE(done.back().status().IsNotFound()) << done.back().status().ToString();
  for (const Lease& l : ls) {
    if (l.name == "retried") {
      EXPECT_TRUE(s.Fail(FailSpec{"q", l.id, l.token, "again", "at x", false}, kT0 + 22, 1.0).ok());
    } else if (l.name == "later") {
      EXPECT_TRUE(s.Fail(FailSpec{"q", l.id, l.token, "no", "", true}, kT0 + 22, 1.0).ok());
    }
  }
  // Enqueues in the same batch: new jobs (plain, delayed, with options, taking
  // the queue's defaults), duplicates by jobId of a stored job and inside the
  // run, in an existing queue and a new one; one of them leased afterwards.
  QueueConfig cfg;
  cfg.defaults.attempts = 4;
  ASSERT_TRUE(s.SetQueueConfig("q", cfg, kT0 + 23).ok());
  std::vector<NewJob> more;
  more.push_back(NewJob{"new-plain", "{\"a\":1}", {}});
  more.push_back(NewJob{"new-long", kLongData, {}});
  JobOptions dup;
  dup.job_id = "fixed";
  more.push_back(NewJob{"dup-stored", "null", dup});
  JobOptions mine;
  mine.job_id = "mine";
  mine.priority = 3;
  mine.timeout = 2'000;
  mine.remove_on_complete.count = 5;
  more.push_back(NewJob{"new-id", "null", mine});
  more.push_back(NewJob{"dup-in-run", "null", mine});
  JobOptions soon;
  soon.delay = 500;
  soon.job_id = "soon";
  more.push_back(NewJob{"new-delayed", "null", soon});
  JobOptions later2;
  later2.delay = 700;
  more.push_back(NewJob{"new-delayed2", "null", later2});
  NewJob defaulted{"new-defaults", "null", {}};
  defaulted.attempts_set = false;
  defaulted.backoff_set = false;
  more.push_back(defaulted);
  auto added = s.EnqueueBatch("q", more, kT0 + 24);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->size(), more.size());
  EXPECT_FALSE((*added)[0].duplicate);
  EXPECT_FALSE((*added)[1].duplicate);
  EXPECT_TRUE((*added)[2].duplicate);
  EXPECT_FALSE((*added)[3].duplicate);
  EXPECT_TRUE((*added)[4].duplicate);
  EXPECT_EQ((*added)[5].state, JobState::kDelayed);
  auto other = s.EnqueueBatch("fresh-queue", {NewJob{"elsewhere", "null", soon}, NewJob{"x", "null", {}}}, kT0 + 25);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE((*other)[0].duplicate);
  EXPECT_EQ(lease(1, kT0 + 26, "w3").size(), 1u);
  EXPECT_NE(Keyspace(server_), before);
  s.Rollback();
  EXPECT_EQ(Keyspace(server_), before);
}

// A job's data over 64 bytes (Redis's hash-max-listpack-value) is kept in its
// own key, so the job's hash stays a compact listpack; every read gives the data
// back whole, and deleting the job deletes that key too.
TEST_F(RedisStoreTest, LongDataLivesInItsOwnKeySoTheJobHashStaysSmall) {
  Store& s = *opened_;
  const std::string short_data = "{\"p\":1}";
  ASSERT_TRUE(s.Begin().ok());
  auto added = s.EnqueueBatch("q", {NewJob{"long", kLongData, {}}, NewJob{"short", short_data, {}}}, kT0);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  JobOptions fired;
  fired.job_id = "by-id";
  auto one = s.Enqueue("q", NewJob{"long-by-id", kLongData, fired}, kT0);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(s.Commit().ok());
  const std::string seq_long = (*added)[0].id, seq_short = (*added)[1].id;
  EXPECT_EQ(server_.Command("OBJECT ENCODING cronq:j/" + seq_long), "$8\r\nlistpack\r\n");
  EXPECT_EQ(server_.Command("EXISTS cronq:j/" + seq_long + "/d"), ":1\r\n");
  EXPECT_EQ(server_.Command("EXISTS cronq:j/" + seq_short + "/d"), ":0\r\n");

  EXPECT_EQ(s.GetJob("q", seq_long)->data, kLongData);
  EXPECT_EQ(s.GetJob("q", seq_short)->data, short_data);
  EXPECT_EQ(s.GetJob("q", "by-id")->data, kLongData);
  auto page = s.ListJobs("q", JobQuery{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->jobs.size(), 3u);
  for (const Job& j : page->jobs) EXPECT_EQ(j.data, j.name == "short" ? short_data : kLongData) << j.name;
  ASSERT_TRUE(s.Begin().ok());
  auto leased = s.LeaseNext(FetchSpec{"q", 3, 30'000, "w"}, kT0 + 1);
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_EQ(leased->size(), 3u);
  for (const Lease& l : *leased) EXPECT_EQ(l.data, l.name == "short" ? short_data : kLongData) << l.name;
  ASSERT_TRUE(s.Commit().ok());

  // A job removed by retention takes its data key with it.
  ASSERT_TRUE(s.Begin().ok());
  JobOptions gone;
  gone.remove_on_complete.remove_now = true;
  auto temp = s.Enqueue("r", NewJob{"temp", kLongData, gone}, kT0 + 2);
  ASSERT_TRUE(temp.ok());
  auto l = s.LeaseNext(FetchSpec{"r", 1, 30'000, "w"}, kT0 + 2);
  ASSERT_TRUE(l.ok() && l->size() == 1u);
  EXPECT_EQ(server_.Command("EXISTS cronq:j/" + temp->id + "/d"), ":1\r\n");
  ASSERT_TRUE(s.Complete(CompleteSpec{"r", (*l)[0].id, (*l)[0].token, ""}, kT0 + 3).ok());
  ASSERT_TRUE(s.Commit().ok());
  EXPECT_EQ(server_.Command("EXISTS cronq:j/" + temp->id), ":0\r\n");
  EXPECT_EQ(server_.Command("EXISTS cronq:j/" + temp->id + "/d"), ":0\r\n");
}

// The enqueue script takes each distinct set of options once: jobs whose sets
// alternate inside one call each get their own options and state.
TEST_F(RedisStoreTest, EnqueueBatchKeepsEachJobsOptions) {
  Store& s = *opened_;
  JobOptions plain, delayed, urgent;
  delayed.delay = 900;
  delayed.attempts = 3;
  urgent.priority = 7;
  urgent.timeout = 1'500;
  std::vector<NewJob> jobs{{"a", "1", plain}, {"b", "2", delayed}, {"c", "3", plain}, {"d", "4", urgent},
                           {"e", "5", delayed}, {"f", "6", plain}};
  auto added = s.EnqueueBatch("q", jobs, kT0);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto j = s.GetJob("q", (*added)[i].id);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    const JobOptions& want = jobs[i].opts;
    EXPECT_EQ(j->name, jobs[i].name);
    EXPECT_EQ(j->data, jobs[i].data);
    EXPECT_EQ(j->state, want.delay > 0 ? JobState::kDelayed : JobState::kWaiting) << jobs[i].name;
    EXPECT_EQ((*added)[i].state, j->state);
    EXPECT_EQ(j->opts.priority, want.priority) << jobs[i].name;
    EXPECT_EQ(j->opts.attempts, want.attempts) << jobs[i].name;
    EXPECT_EQ(j->opts.timeout, want.timeout) << jobs[i].name;
    EXPECT_EQ(j->opts.delay, want.delay) << jobs[i].name;
    if (want.delay > 0) {
      EXPECT_EQ(j->run_at, kT0 + want.delay) << jobs[i].name;
    }
  }
}

}  // namespace
}  // namespace cronq
