// The CLI's view of a running server: the C++ client library's Connection with the
// token found the CLI's way, and errors printed the same way for every command.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "cronq/client/connection.h"

namespace cronq::cli {

struct ClientOptions {
  std::string url = "http://127.0.0.1:7700";
  std::string token;     // empty: CRONQ_TOKEN, then <data>/admin.token
  std::string data_dir = "./data";
  bool json = false;     // print raw JSON instead of tables
};

class Client {
 public:
  static Result<Client> Connect(const ClientOptions& o);
  // Sends a request; a non-2xx answer becomes a Status carrying the server's message.
  Result<nlohmann::json> Call(std::string_view method, const std::string& path, const nlohmann::json* body = nullptr) {
    return conn_->Call(method, path, body);
  }

 private:
  explicit Client(std::shared_ptr<client::Connection> conn) : conn_(std::move(conn)) {}
  std::shared_ptr<client::Connection> conn_;
};

// Percent-encodes one path segment.
inline std::string Seg(const std::string& s) { return client::EncodePathSegment(s); }

}  // namespace cronq::cli
