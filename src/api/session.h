// Dashboard sessions: a login with an API token becomes a random session id in an
// HttpOnly, SameSite=Strict cookie, plus a per-session CSRF token that every
// state-changing request made with the cookie must echo in X-CSRF-Token.
//
// Sessions live in memory only: a restart logs everyone out, and with several
// replicas a session is valid on the replica that created it (sticky sessions or
// bearer tokens). Bearer-token API clients never touch this.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/auth.h"
#include "core/clock.h"

namespace cronq::api {

inline constexpr std::string_view kSessionCookie = "cronq_session";

struct UiSession {
  std::string id;    // the cookie value: 32 random bytes, hex
  std::string csrf;  // 32 random bytes, hex; sent back in X-CSRF-Token
  const Token* token = nullptr;  // points into the server's TokenSet
  TimeMs expires = 0;
};

class SessionStore {
 public:
  explicit SessionStore(Millis ttl = 12 * 3600 * 1000, size_t max_sessions = 10'000) : ttl_(ttl), max_(max_sessions) {}

  UiSession Create(const Token* token, TimeMs now);
  // A live session; each use extends it by the time-to-live.
  std::optional<UiSession> Find(std::string_view id, TimeMs now);
  void Remove(std::string_view id);
  Millis ttl() const { return ttl_; }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, UiSession> sessions_;  // guarded by mu_
  const Millis ttl_;
  const size_t max_;
};

// The value of cookie `name` in a Cookie header, or "".
std::string_view CookieValue(std::string_view header, std::string_view name);
// Constant-time equality of two secrets.
bool SameSecret(std::string_view a, std::string_view b);

}  // namespace cronq::api
