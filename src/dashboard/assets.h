// The dashboard's files, embedded at build time (embed_assets.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace cronq::dashboard {

struct EmbeddedFile {
  std::string_view path;  // "/index.html", "/app.js", ...
  std::string_view bytes;
};

const std::vector<EmbeddedFile>& EmbeddedFiles();

}  // namespace cronq::dashboard
