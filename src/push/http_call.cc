#include "push/http_call.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "net/http.h"

namespace cronq::push {
namespace {
using nlohmann::json;
}  // namespace

bool IsHeaderName(std::string_view k) {
  if (k.empty() || k.size() > 128) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

bool IsFramingHeader(std::string k) {
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k == "host" || k == "content-length" || k == "transfer-encoding" || k == "connection" || k == "upgrade";
}

bool IsHeaderValue(std::string_view v) {
  if (v.size() > 8192) return false;
  for (char c : v)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

Status ValidateHttpCall(const HttpCall& call) {
  if (call.url.size() > 2048) return Status::InvalidArgument("target.url is longer than 2048 characters");
  Result<net::Url> parsed = net::ParseUrl(std::string_view(call.url).substr(0, call.url.find('?')));
  if (!parsed.ok()) return Status::InvalidArgument("target.url: " + parsed.status().message());
  static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  bool method_ok = false;
  for (const char* m : kMethods) method_ok = method_ok || call.method == m;
  if (!method_ok) return Status::InvalidArgument("target.method must be GET, POST, PUT, PATCH or DELETE");
  for (const auto& [k, v] : call.headers) {
    if (!IsHeaderName(k) || !IsHeaderValue(v))
      return Status::InvalidArgument("target.headers must map header names (letters, digits, -) to one-line strings");
    if (IsFramingHeader(k)) return Status::InvalidArgument("target.headers must not set " + k);
  }
  if (call.timeout < 1 || call.timeout > kHttpTimeoutMax)
    return Status::InvalidArgument("target.timeoutMs must be between 1 and 300000");
  return Status::Ok();
}

std::string EncodeHttpCall(const HttpCall& call) {
  json headers = json::object();
  for (const auto& [k, v] : call.headers) headers[k] = v;
  json j = {{"url", call.url}, {"method", call.method}, {"headers", std::move(headers)}, {"timeoutMs", call.timeout}};
  if (!call.body.empty()) j["body"] = call.body;
  return j.dump();
}

// Checks every field's type: the data is read back from storage.
Result<HttpCall> DecodeHttpCall(std::string_view data) {
  json j = json::parse(data, nullptr, false);
  auto is = [&](const char* key, auto check) { return !j.contains(key) || check(j[key]); };
  if (!j.is_object() || !j.contains("url") || !j["url"].is_string() ||
      !is("method", [](const json& v) { return v.is_string(); }) ||
      !is("timeoutMs", [](const json& v) { return v.is_number_integer(); }) ||
      !is("body", [](const json& v) { return v.is_string(); }) ||
      !is("headers", [](const json& v) { return v.is_object(); }))
    return Status::InvalidArgument("not an HTTP request description");
  HttpCall call;
  call.url = j["url"].get<std::string>();
  call.method = j.value("method", call.method);
  call.body = j.value("body", std::string());
  call.timeout = j.value("timeoutMs", call.timeout);
  if (j.contains("headers"))
    for (auto& [k, v] : j["headers"].items())
      if (v.is_string()) call.headers.emplace_back(k, v.get<std::string>());
  CRONQ_RETURN_IF_ERROR(ValidateHttpCall(call));
  return call;
}

JobOptions DefaultHttpCallOptions() {
  JobOptions o;
  o.attempts = 3;
  o.backoff = Backoff{Backoff::Type::kExponential, 1000, 0, 0};
  return o;
}

}  // namespace cronq::push
