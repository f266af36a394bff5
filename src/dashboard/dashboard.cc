#include "dashboard/dashboard.h"

#include "dashboard/assets.h"

namespace cronq::dashboard {
namespace {

std::string_view ContentType(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

net::HttpResponse Error(int status, std::string_view code, std::string_view message) {
  net::HttpResponse r;
  r.status = status;
  r.body = net::ErrorBody(code, message);
  return r;
}

}  // namespace

bool Owns(std::string_view path) {
  return path == "/" || path == "/ui" || path.substr(0, 4) == "/ui/";
}

net::HttpResponse Serve(const net::HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") return Error(405, "method_not_allowed", "the dashboard is read with GET");
  if (req.path == "/" || req.path == "/ui") {
    net::HttpResponse r;
    r.status = 302;
    r.content_type = "";
    r.headers = {{"Location", "/ui/"}};
    return r;
  }
  std::string_view file = std::string_view(req.path).substr(3);  // "/ui/x" -> "/x"
  if (file == "/") file = "/index.html";
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    if (f.path != file) continue;
    net::HttpResponse r;
    r.content_type = std::string(ContentType(f.path));
    if (req.method == "GET") r.body = std::string(f.bytes);
    r.headers = {
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
         "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-cache"},
    };
    return r;
  }
  return Error(404, "not_found", "no such dashboard file: " + req.path);
}

}  // namespace cronq::dashboard
