// A thin RAII layer over the SQLite C API: a connection and cached prepared
// statements. Used only by sqlite_store.cc.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/status.h"

namespace cronq::sqlite {

class Db;

// A prepared statement, reset and unbound when the Stmt handle goes out of scope.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view v);   // bound as TEXT; the view must outlive Step()
  Stmt& BindOpt(int i, std::optional<int64_t> v);
  Stmt& BindTextOrNull(int i, std::string_view v);  // empty -> NULL
  Stmt& BindNull(int i);

  // Steps once. Returns true with a row, false when done; errors go to status().
  bool Step();
  // Steps to completion (for writes).
  Status Run();
  const Status& status() const { return status_; }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string Text(int col) const;
  double Real(int col) const { return sqlite3_column_double(s_, col); }

 private:
  Db* db_;
  sqlite3_stmt* s_;
  Status status_;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();

  Status Exec(std::string_view sql);  // one or more statements, no results
  // A cached prepared statement for `sql` (the string must be a literal or outlive Db).
  Result<Stmt> Prepare(const char* sql);
  Status Error(std::string_view what) const;  // a Status from the connection's last error
  int64_t Changes() const { return sqlite3_changes64(db_); }
  // True once a Prepare() failed since the last call: the batch must not commit.
  bool TakePrepareFailure() { return std::exchange(prepare_failed_, false); }
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  bool prepare_failed_ = false;
};

}  // namespace cronq::sqlite
