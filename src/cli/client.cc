#include "cli/client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace cronq::cli {

Result<Client> Client::Connect(const ClientOptions& o) {
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
  CRONQ_ASSIGN_OR_RETURN(std::shared_ptr<client::Connection> conn,
                         client::Connection::Open({.url = o.url, .token = token, .timeout = std::chrono::seconds(40)}));
  return Client(std::move(conn));
}

}  // namespace cronq::cli
