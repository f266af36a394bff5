#include "conformance/store_conformance.h"
#include "storage/sqlite_store.h"

namespace cronq::testing {

std::vector<BackendFactory> AllBackends() {
  std::vector<BackendFactory> out;
  out.push_back({"sqlite", [](const std::string& dir) -> std::unique_ptr<Store> {
                   auto r = OpenSqliteStore(SqliteOptions{dir + "/cronq.db", true, 8192});
                   if (!r.ok()) {
                     ADD_FAILURE() << r.status().ToString();
                     return nullptr;
                   }
                   return std::move(r).value();
                 }});
  return out;
}

}  // namespace cronq::testing
