// API tokens and their scopes.
//
//   admin     everything, including operator actions (retry, remove, pause, ...)
//   producer  enqueue, and read
//   worker    fetch, heartbeat and acknowledge jobs, and read
//   read      GET requests only
//
// Tokens are compared in constant time. The admin token is generated on first
// start when none is configured (server/), so no install runs without one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace cronq::api {

enum class Scope { kRead = 0, kProducer = 1, kWorker = 2, kAdmin = 3 };

std::optional<Scope> ParseScope(std::string_view s);
std::string_view ScopeName(Scope s);
// True when a token with scope `have` may do what needs `need`.
bool Allows(Scope have, Scope need);

struct Token {
  std::string name;  // for logs and the audit trail
  std::string secret;
  Scope scope = Scope::kRead;
};

class TokenSet {
 public:
  explicit TokenSet(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}
  // Finds the token named by an "Authorization: Bearer <secret>" header value.
  Result<const Token*> Authenticate(std::string_view authorization) const;
  // The token whose secret has this TokenFingerprint (api/session.h), or nullptr.
  const Token* FindByFingerprint(std::string_view fingerprint) const;

 private:
  std::vector<Token> tokens_;
};

}  // namespace cronq::api
