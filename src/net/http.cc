// Plain HTTP helpers: no Asio here, so the API layer's tests stay light.
#include "net/http.h"

#include <cctype>
#include <charconv>

namespace cronq::net {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string_view FindFirst(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

// Parses a decimal port; `s` must be all digits and at most 65535.
std::optional<uint16_t> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// Splits "host:port" or "[v6]:port" into its parts; the host keeps no brackets.
bool SplitHostPort(std::string_view s, std::string_view& host, std::string_view& port) {
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    return !host.empty();
  }
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && s.find(':') != colon) return false;  // bare v6
  host = s.substr(0, colon);
  port = colon == std::string_view::npos ? std::string_view{} : s.substr(colon + 1);
  return true;
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  return FindFirst(headers, lower_name);
}

std::optional<std::string> HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  std::string out;
  out.reserve(32 + code.size() + message.size());
  out += R"({"error":{"code":)";
  AppendJsonString(out, code);
  out += R"(,"message":)";
  AppendJsonString(out, message);
  out += "}}";
  return out;
}

// Malformed escapes ("%zz", a trailing "%") are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (c == '+' && plus_is_space) ? ' ' : c;
  }
  return out;
}

// Keeps RFC 3986 unreserved characters; everything else becomes %XX.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~';
    if (keep) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// Empty pieces ("a=1&&b=2") are skipped; "flag" without '=' has the value "".
void SplitTarget(std::string_view target, std::string& path, Fields& query) {
  size_t q = target.find('?');
  path = PercentDecode(target.substr(0, q), false);
  query.clear();
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view piece = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view key = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    query.emplace_back(PercentDecode(key, true), PercentDecode(value, true));
  }
}

Result<Url> ParseUrl(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Status::InvalidArgument("url needs a scheme: " + std::string(url));
  Url out;
  out.scheme = std::string(url.substr(0, sep));
  for (char& c : out.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::InvalidArgument("url scheme must be http or https: " + std::string(url));
  }
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument("url must not have a query or fragment: " + std::string(url));
  }
  std::string_view host, port;
  if (!SplitHostPort(authority, host, port) || host.empty() ||
      authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("bad host in url: " + std::string(url));
  }
  out.host = std::string(host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty() || authority.back() == ':') {
    auto p = ParsePort(port);
    if (!p || *p == 0) return Status::InvalidArgument("bad port in url: " + std::string(url));
    out.port = *p;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);
  return out;
}

// An empty host (":7700") means every interface, "0.0.0.0".
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view listen) {
  std::string_view host, port;
  if (!SplitHostPort(listen, host, port) || port.empty()) {
    return Status::InvalidArgument("listen address must be host:port: " + std::string(listen));
  }
  auto p = ParsePort(port);
  if (!p) return Status::InvalidArgument("bad port in listen address: " + std::string(listen));
  return std::pair<std::string, uint16_t>(host.empty() ? "0.0.0.0" : std::string(host), *p);
}

}  // namespace cronq::net
