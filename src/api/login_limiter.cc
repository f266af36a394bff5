#include "api/login_limiter.h"

#include <arpa/inet.h>

#include <cstring>

namespace cronq::api {

bool LoginLimiter::Prune(std::vector<TimeMs>& failures, TimeMs now) const {
  size_t old = 0;
  while (old < failures.size() && failures[old] <= now - lim_.window) ++old;
  failures.erase(failures.begin(), failures.begin() + static_cast<std::ptrdiff_t>(old));
  return failures.empty();
}

std::optional<Millis> LoginLimiter::Blocked(std::string_view client, TimeMs now) {
  std::lock_guard lk(mu_);
  auto it = clients_.find(std::string(client));
  if (it == clients_.end()) return std::nullopt;
  if (Prune(it->second, now)) {
    clients_.erase(it);
    return std::nullopt;
  }
  if (it->second.size() < static_cast<size_t>(lim_.max_failures)) return std::nullopt;
  return it->second.front() + lim_.window - now;
}

void LoginLimiter::Failed(std::string_view client, TimeMs now) {
  std::lock_guard lk(mu_);
  auto it = clients_.find(std::string(client));
  if (it == clients_.end()) {
    if (clients_.size() >= lim_.max_clients) MakeRoom(now);
    it = clients_.emplace(std::string(client), std::vector<TimeMs>{}).first;
  }
  std::vector<TimeMs>& f = it->second;
  Prune(f, now);
  f.push_back(now);
  if (f.size() > static_cast<size_t>(lim_.max_failures)) f.erase(f.begin());
}

void LoginLimiter::MakeRoom(TimeMs now) {
  for (auto it = clients_.begin(); it != clients_.end();) it = Prune(it->second, now) ? clients_.erase(it) : std::next(it);
  if (clients_.size() < lim_.max_clients || clients_.empty()) return;
  auto stalest = clients_.begin();
  for (auto it = clients_.begin(); it != clients_.end(); ++it)
    if (it->second.back() < stalest->second.back()) stalest = it;
  clients_.erase(stalest);
}

size_t LoginLimiter::tracked() const {
  std::lock_guard lk(mu_);
  return clients_.size();
}

std::string LoginClientKey(std::string_view remote_addr) {
  std::string host(remote_addr);
  if (!host.empty() && host.front() == '[') {  // "[v6]:port"
    size_t close = host.find(']');
    if (close != std::string::npos) host = host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos && host.find(':') == colon) {
    host.resize(colon);  // "v4:port"
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) return host;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN];
  if (std::memcmp(a6.s6_addr, kMapped, sizeof kMapped) == 0) {
    in_addr a4{};
    std::memcpy(&a4, a6.s6_addr + 12, 4);
    return inet_ntop(AF_INET, &a4, buf, sizeof buf) ? std::string(buf) : host;
  }
  std::memset(a6.s6_addr + 8, 0, 8);
  return inet_ntop(AF_INET6, &a6, buf, sizeof buf) ? std::string(buf) + "/64" : host;
}

}  // namespace cronq::api
