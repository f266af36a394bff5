// The dashboard at /ui: static files compiled into the binary. It holds no data
// and no logic on the server side: the page reads and acts only through the
// public HTTP API (/v1/..., /v1/events), logged in with a session cookie.
#pragma once

#include <optional>
#include <string_view>

#include "net/http.h"

namespace cronq::dashboard {

// True for the paths the dashboard answers: "/", "/ui" and "/ui/...".
bool Owns(std::string_view path);
// The answer for a GET or HEAD of one of those paths: a file, a redirect to
// /ui/, or 404/405. Sets security headers (a strict Content-Security-Policy).
net::HttpResponse Serve(const net::HttpRequest& req);

}  // namespace cronq::dashboard
