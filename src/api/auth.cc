#include "api/auth.h"

#include <openssl/crypto.h>

#include "api/session.h"

namespace cronq::api {

std::optional<Scope> ParseScope(std::string_view s) {
  if (s == "read" || s == "read-only" || s == "readonly") return Scope::kRead;
  if (s == "producer") return Scope::kProducer;
  if (s == "worker") return Scope::kWorker;
  if (s == "admin") return Scope::kAdmin;
  return std::nullopt;
}

std::string_view ScopeName(Scope s) {
  switch (s) {
    case Scope::kRead: return "read";
    case Scope::kProducer: return "producer";
    case Scope::kWorker: return "worker";
    case Scope::kAdmin: return "admin";
  }
  return "read";
}

bool Allows(Scope have, Scope need) {
  if (have == Scope::kAdmin || need == Scope::kRead) return true;
  return have == need;
}

Result<const Token*> TokenSet::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) return Status::Unauthenticated("missing Authorization: Bearer <token> header");
  if (authorization.substr(0, kBearer.size()) != kBearer)
    return Status::Unauthenticated("Authorization header must be 'Bearer <token>'");
  std::string_view secret = authorization.substr(kBearer.size());
  const Token* found = nullptr;
  for (const Token& t : tokens_) {
    // Compare every token fully so timing does not reveal which one matched.
    bool same = t.secret.size() == secret.size() && CRYPTO_memcmp(t.secret.data(), secret.data(), secret.size()) == 0;
    if (same && !found) found = &t;
  }
  if (!found) return Status::Unauthenticated("unknown token");
  return found;
}

const Token* TokenSet::FindByFingerprint(std::string_view fingerprint) const {
  for (const Token& t : tokens_)
    if (TokenFingerprint(t.secret) == fingerprint) return &t;
  return nullptr;
}

}  // namespace cronq::api
