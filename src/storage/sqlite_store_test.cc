// SQLite-specific tests: the file format's versioning. Behaviour shared with
// other backends lives in the conformance suite (tests/conformance).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "storage/sqlite_schema.h"
#include "storage/sqlite_store.h"
#include "support/temp_dir.h"

namespace cronq {
namespace {

using testing::TempDir;

void Exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

TEST(SqliteFormat, NewFileIsAtTheCurrentVersionInWalMode) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  {
    auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), SqliteSchemaVersion());
  EXPECT_EQ(QueryInt(path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

TEST(SqliteFormat, AnEmptyVersionZeroFileIsMigrated) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  Exec(path, "CREATE TABLE unrelated(x); PRAGMA user_version = 0;");
  auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Begin().ok());
  ASSERT_TRUE((*s)->Enqueue("q", NewJob{"n", "null", {}}, 1).ok());
  ASSERT_TRUE((*s)->Commit().ok());
}

// Opens a file written in the previous format (version 1, before schedules) with
// a job in it: the migration adds schedules and the job is intact and usable.
TEST(SqliteFormat, AVersionOneFileIsMigratedWithItsJobs) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  {
    auto db = sqlite::Db::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(sqlite::Migrate(**db, 1).ok());
  }
  Exec(path, "INSERT INTO queues(name, paused, created_at) VALUES('q', 0, 1);"
             "INSERT INTO queue_counts(queue, state, n) VALUES('q', 0, 1);"
             "INSERT INTO jobs(queue, name, data, state, priority, created_at, attempts_max) "
             "VALUES('q', 'old', '{\"v\":1}', 0, 0, 1, 3);");
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 1);
  auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Begin().ok());
  auto job = (*s)->GetJob("q", "1");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->name, "old");
  EXPECT_EQ(job->data, "{\"v\":1}");
  EXPECT_EQ(job->opts.attempts, 3);
  EXPECT_TRUE(job->fire_id.empty());
  auto leases = (*s)->LeaseNext(FetchSpec{"q", 1, 1000, "w"}, 10);
  ASSERT_TRUE(leases.ok());
  EXPECT_EQ(leases->size(), 1u);
  EXPECT_TRUE((*s)->ListSchedules().ok());
  ASSERT_TRUE((*s)->Commit().ok());
  s = Status::Unavailable("closed");  // close it: the store holds the file exclusively
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), SqliteSchemaVersion());
}

// A version-2 file (schedules, no audit log) gains the audit table and keeps its jobs.
TEST(SqliteFormat, AVersionTwoFileGainsTheAuditLog) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  {
    auto db = sqlite::Db::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(sqlite::Migrate(**db, 2).ok());
  }
  Exec(path, "INSERT INTO queues(name, paused, created_at) VALUES('q', 0, 1);"
             "INSERT INTO queue_counts(queue, state, n) VALUES('q', 0, 1);"
             "INSERT INTO jobs(queue, name, data, state, priority, created_at, attempts_max) "
             "VALUES('q', 'old', '{}', 0, 0, 1, 1);");
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 2);
  auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Begin().ok());
  EXPECT_TRUE((*s)->GetJob("q", "1").ok());
  ASSERT_TRUE((*s)->AppendAudit(AuditEntry{0, 5, "ops", "admin", "job.retry", "q/1", ""}).ok());
  auto page = (*s)->ListAudit(AuditQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].action, "job.retry");
  ASSERT_TRUE((*s)->Commit().ok());
  s = Status::Unavailable("closed");
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), SqliteSchemaVersion());
}

TEST(SqliteFormat, TheFileIsHeldExclusivelyWhileOpen) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Begin().ok());
  ASSERT_TRUE((*s)->Enqueue("q", NewJob{"n", "null", {}}, 1).ok());
  ASSERT_TRUE((*s)->Commit().ok());
  // A second cronq on the same folder cannot write behind the first one's back.
  auto second = OpenSqliteStore(SqliteOptions{path, true, 1024});
  EXPECT_FALSE(second.ok());
}

TEST(SqliteFormat, AFileFromANewerCronqIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  Exec(path, "CREATE TABLE future(x); INSERT INTO future VALUES (42); PRAGMA user_version = 999;");
  auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("newer than this cronq"), std::string::npos) << s.status().message();
  EXPECT_EQ(QueryInt(path, "PRAGMA user_version"), 999);
  EXPECT_EQ(QueryInt(path, "SELECT x FROM future"), 42);
}

TEST(SqliteFormat, AFileThatIsNotADatabaseIsAnError) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not sqlite, just text that is long enough to have a header............", f);
  std::fclose(f);
  auto s = OpenSqliteStore(SqliteOptions{path, true, 1024});
  EXPECT_FALSE(s.ok());
}

// The WAL is copied into the database file by Housekeep, after a batch's answers
// have gone out, never inside a commit; with a deadline close (`soon`) only a WAL
// of 8000 pages or more is.
TEST(SqliteWal, IsCheckpointedByHousekeepNotByACommit) {
  TempDir dir;
  const std::string path = dir.File("cronq.db");
  auto opened = OpenSqliteStore(SqliteOptions{path, true, 1024});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  auto file_size = [&] { return std::filesystem::file_size(path); };
  const auto before = file_size();
  const std::string data = "\"" + std::string(2000, 'x') + "\"";
  for (int b = 0; b < 150; ++b) {  // ~2400 pages of WAL, more than one automatic checkpoint's worth
    ASSERT_TRUE(store.Begin().ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store.Enqueue("q", NewJob{"n", data, {}}, 1'000 + b).ok());
    ASSERT_TRUE(store.Commit().ok());
  }
  EXPECT_EQ(file_size(), before) << "a commit checkpointed the WAL";
  store.Housekeep(/*soon=*/true);
  EXPECT_EQ(file_size(), before) << "checkpointed with a deadline close";
  store.Housekeep(/*soon=*/false);
  EXPECT_GT(file_size(), before + 3'000'000) << "the WAL was not checkpointed";
  ASSERT_TRUE(store.Begin().ok());
  auto q = store.GetQueue("q");
  store.Rollback();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->counts[0], 3'000);
}

}  // namespace
}  // namespace cronq
