// The one place where a Status becomes an HTTP answer.
#pragma once

#include "core/status.h"
#include "net/http.h"

namespace cronq::api {

int HttpStatusFor(Code code);
// {"error":{"code":"...","message":"..."}} with the mapped status.
net::HttpResponse ErrorResponse(const Status& st);
net::HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message);

}  // namespace cronq::api
