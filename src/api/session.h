// Dashboard sessions: a login with an API token becomes a random session id in an
// HttpOnly, SameSite=Strict cookie, plus a per-session CSRF token that every
// state-changing request made with the cookie must echo in X-CSRF-Token.
//
// Sessions live in the store (Store::PutSession), under a hash of the id, so every
// replica that shares the store knows them and they survive a restart.
// Bearer-token API clients never touch this.
#pragma once

#include <string>
#include <string_view>

namespace cronq::api {

inline constexpr std::string_view kSessionCookie = "cronq_session";

struct NewSession {
  std::string id;    // the cookie value: 32 random bytes, hex
  std::string csrf;  // 32 random bytes, hex; sent back in X-CSRF-Token
};
NewSession MakeSession();
// The store's key for a session id: its SHA-256, hex. Empty for a value that
// cannot be a session id (not 64 characters).
std::string SessionKey(std::string_view id);
// How a stored session names its API token without holding its secret: the
// secret's SHA-256, hex (TokenSet::FindByFingerprint).
std::string TokenFingerprint(std::string_view secret);

// The value of cookie `name` in a Cookie header, or "".
std::string_view CookieValue(std::string_view header, std::string_view name);
// Constant-time equality of two secrets.
bool SameSecret(std::string_view a, std::string_view b);

}  // namespace cronq::api
