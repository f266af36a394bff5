// Attempt limiting for the dashboard login (POST /v1/session): a client address
// that failed `max_failures` logins within the last `window` is refused (429)
// until the oldest of those failures is `window` old. A sliding window over the
// last failures, so the rule is simply "at most N wrong tokens per address in
// any window".
//
// Only wrong tokens count. A successful login neither counts nor clears the
// count: otherwise a holder of a read-only token could log in between guesses
// and keep guessing at the admin token forever. Refused attempts do not count
// either, so a limited client is free again exactly when its window passes.
//
// Memory is bounded: at most `max_clients` addresses are tracked; when full,
// addresses with no failure in the window go first, then the one whose last
// failure is oldest. Time is passed in (the Api's injected clock), never read.
//
// Thread-safe: handlers run on every I/O thread. Blocked() and Failed() are two
// calls, so logins racing on several I/O threads may each get one more try.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"

namespace cronq::api {

struct LoginLimits {
  int max_failures = 5;
  Millis window = 60'000;
  size_t max_clients = 10'000;
};

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimits limits = {}) : lim_(limits) {}

  // How long `client` must still wait before it may try again, or nullopt when
  // it may try now.
  std::optional<Millis> Blocked(std::string_view client, TimeMs now);
  // Records a failed login by `client` at `now`.
  void Failed(std::string_view client, TimeMs now);
  // Addresses tracked now (for tests).
  size_t tracked() const;
  const LoginLimits& limits() const { return lim_; }

 private:
  // Drops failures older than the window; true when none is left.
  bool Prune(std::vector<TimeMs>& failures, TimeMs now) const;
  void MakeRoom(TimeMs now);  // REQUIRES: mu_ held

  const LoginLimits lim_;
  mutable std::mutex mu_;
  // client -> its failure instants in the window, oldest first, at most max_failures.
  std::unordered_map<std::string, std::vector<TimeMs>> clients_;  // guarded by mu_
};

// The address a login is limited by, from HttpRequest::remote_addr
// ("127.0.0.1:53412", "[2001:db8::1]:443"): the IPv4 address without the port;
// for IPv6 its /64 network, since one host usually holds a whole /64; an
// IPv4-mapped IPv6 address is its IPv4 address. Anything unparsable is used as is.
std::string LoginClientKey(std::string_view remote_addr);

}  // namespace cronq::api
