#include "api/errors.h"

namespace cronq::api {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

net::HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message) {
  net::HttpResponse r;
  r.status = http_status;
  r.body = net::ErrorBody(code, message);
  if (http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cronq\"");
  if (http_status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

net::HttpResponse ErrorResponse(const Status& st) {
  return ErrorResponse(HttpStatusFor(st.code()), CodeName(st.code()), st.message());
}

}  // namespace cronq::api
