#include "cli/client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net/http.h"

namespace cronq::cli {

std::string Seg(const std::string& s) { return net::PercentEncode(s); }

Result<Client> Client::Connect(const ClientOptions& o) {
  CRONQ_ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(o.url));
  if (url.scheme != "http") return Status::InvalidArgument("the CLI speaks plain http to " + o.url);
  std::string token = o.token;
  if (token.empty()) {
    if (const char* t = std::getenv("CRONQ_TOKEN"); t && *t) token = t;
  }
  if (token.empty()) {
    std::ifstream in(std::filesystem::path(o.data_dir) / "admin.token");
    std::getline(in, token);
  }
  if (token.empty())
    return Status::Unauthenticated("no token: pass --token, set CRONQ_TOKEN, or run where " + o.data_dir +
                                   "/admin.token exists");
  return Client(std::make_unique<net::HttpClient>(url.host, url.port, 40'000), url.base_path, token);
}

Result<nlohmann::json> Client::Call(std::string_view method, const std::string& path, const nlohmann::json* body) {
  net::Fields headers = {{"Authorization", "Bearer " + token_}};
  std::string text;
  if (body) {
    text = body->dump();
    headers.emplace_back("Content-Type", "application/json");
  }
  CRONQ_ASSIGN_OR_RETURN(net::ClientResponse r, http_->Request(method, base_ + path, text, headers));
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (j.is_discarded()) return Status::Internal("server sent a body that is not JSON");
    return j;
  }
  std::string msg = "HTTP " + std::to_string(r.status);
  if (!j.is_discarded() && j.contains("error")) msg += ": " + j["error"].value("message", std::string());
  switch (r.status) {
    case 400: return Status::InvalidArgument(msg);
    case 401: return Status::Unauthenticated(msg);
    case 403: return Status::PermissionDenied(msg);
    case 404: return Status::NotFound(msg);
    case 409: return Status::Conflict(msg);
    case 413: return Status::TooLarge(msg);
    case 503: return Status::Unavailable(msg);
    default: return Status::Internal(msg);
  }
}

}  // namespace cronq::cli
