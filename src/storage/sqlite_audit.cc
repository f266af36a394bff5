// The audit log and the dashboard sessions in SQLite: an append-only table read
// newest first by seq, and one row per session.
#include "storage/sqlite_store_impl.h"

namespace cronq::sqlite {

Status SqliteStore::AppendAudit(const AuditEntry& e) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("INSERT INTO audit (at, actor, scope, action, target, detail) "
                                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  s.Bind(1, e.at).Bind(2, e.actor).Bind(3, e.scope).Bind(4, e.action).Bind(5, e.target).BindTextOrNull(6, e.detail);
  return Poison(s.Run());
}

Result<AuditPage> SqliteStore::ListAudit(const AuditQuery& q) {
  int64_t before = INT64_MAX;
  if (!q.cursor.empty()) {
    std::optional<int64_t> c = NumericId(q.cursor);
    if (!c) return Status::InvalidArgument("bad cursor");
    before = *c;
  }
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT seq, at, actor, scope, action, target, detail FROM audit "
                                              "WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"));
  s.Bind(1, before).Bind(2, static_cast<int64_t>(q.limit) + 1);
  AuditPage page;
  while (s.Step()) {
    if (static_cast<int>(page.entries.size()) == q.limit) {
      page.next_cursor = std::to_string(page.entries.back().seq);
      break;
    }
    page.entries.push_back(AuditEntry{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5),
                                      s.IsNull(6) ? std::string() : s.Text(6)});
  }
  CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  return page;
}

// ---- dashboard sessions ---------------------------------------------------------

Status SqliteStore::PutSession(std::string_view key, const SessionRecord& r, TimeMs now, bool only_existing) {
  CRONQ_ASSIGN_OR_RETURN(Stmt d, db_->Prepare("DELETE FROM ui_sessions WHERE expires <= ?1"));
  CRONQ_RETURN_IF_ERROR(Poison(d.Bind(1, now).Run()));
  CRONQ_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare(only_existing ? "UPDATE ui_sessions SET token = ?2, csrf = ?3, expires = ?4 WHERE key = ?1"
                                         : "INSERT OR REPLACE INTO ui_sessions (key, token, csrf, expires) "
                                           "VALUES (?1, ?2, ?3, ?4)"));
  s.Bind(1, key).Bind(2, r.token).Bind(3, r.csrf).Bind(4, r.expires);
  return Poison(s.Run());
}

Result<std::optional<SessionRecord>> SqliteStore::GetSession(std::string_view key, TimeMs now) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT token, csrf, expires FROM ui_sessions "
                                              "WHERE key = ?1 AND expires > ?2"));
  std::optional<SessionRecord> out;
  if (s.Bind(1, key).Bind(2, now).Step()) out = SessionRecord{s.Text(0), s.Text(1), s.Int(2)};
  CRONQ_RETURN_IF_ERROR(Poison(s.status()));
  return out;
}

Status SqliteStore::DeleteSession(std::string_view key) {
  CRONQ_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("DELETE FROM ui_sessions WHERE key = ?1"));
  return Poison(s.Bind(1, key).Run());
}

}  // namespace cronq::sqlite
