#include "cli/table.h"

#include <cstdio>

namespace cronq::cli {

using nlohmann::json;

int Fail(const Status& st) {
  std::fprintf(stderr, "cronq: %s\n", st.message().c_str());
  return st.code() == Code::kUnavailable ? 3 : 1;
}

// Prints rows as aligned columns; the first row is the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
    }
    std::puts(line.c_str());
  }
}

std::string Str(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

int PrintOr(const ClientOptions& o, const Result<json>& r, const std::function<void(const json&)>& table) {
  if (!r.ok()) return Fail(r.status());
  if (o.json) std::puts(r->dump(2).c_str());
  else table(*r);
  return 0;
}

}  // namespace cronq::cli
