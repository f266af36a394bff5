// The CLI's view of a running server: requests with the token, errors printed
// the same way for every command.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "net/http_client.h"

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
  Result<nlohmann::json> Call(std::string_view method, const std::string& path, const nlohmann::json* body = nullptr);

 private:
  Client(std::unique_ptr<net::HttpClient> http, std::string base, std::string token)
      : http_(std::move(http)), base_(std::move(base)), token_(std::move(token)) {}
  std::unique_ptr<net::HttpClient> http_;
  std::string base_, token_;
};

// Percent-encodes one path segment.
std::string Seg(const std::string& s);

}  // namespace cronq::cli
