// A fresh directory under $TMPDIR (or /tmp) removed when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace cronq::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace cronq::testing
