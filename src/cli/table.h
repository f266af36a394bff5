// Output helpers shared by the client commands.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/client.h"

namespace cronq::cli {

// Prints the Status message to stderr; returns the exit code (3: unavailable, else 1).
int Fail(const Status& st);
// Aligned columns; the first row is the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows);
// A JSON value as table text ("-" for null).
std::string Str(const nlohmann::json& j);
// Prints the JSON answer with --json, else calls `table`; returns the exit code.
int PrintOr(const ClientOptions& o, const Result<nlohmann::json>& r,
            const std::function<void(const nlohmann::json&)>& table);

// Connects and runs fn(client); a connection problem is reported and exits non-zero.
template <typename Fn>
int WithClient(const ClientOptions& o, Fn fn) {
  Result<Client> c = Client::Connect(o);
  if (!c.ok()) return Fail(c.status());
  return fn(*c);
}

}  // namespace cronq::cli
