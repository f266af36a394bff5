// HttpCall: the request a URL-target job carries in its data, and its rules.
//
// One place owns the format: the API builds it from a schedule's target, the
// HttpCaller reads it back when it delivers the job.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/job.h"
#include "core/status.h"

namespace cronq::push {

inline constexpr Millis kHttpTimeoutMax = 300'000;

struct HttpCall {
  std::string url;  // http:// or https://; a query string is kept
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Millis timeout = 30'000;  // connect and whole request, each
};

// The URL parses as http or https, the method is known, header names are tokens, values
// are one line, no framing header (Host, Content-Length, ...) is set, and the
// timeout is 1..kHttpTimeoutMax. Messages name the target field at fault.
Status ValidateHttpCall(const HttpCall& call);
// True for a value that may go in a header (no CR, LF or NUL; at most 8 KiB).
bool IsHeaderValue(std::string_view v);
// True for a header name of letters, digits, '-' and '_' (at most 128).
bool IsHeaderName(std::string_view k);
// Host, Content-Length, Transfer-Encoding, Connection, Upgrade (any case).
bool IsFramingHeader(std::string k);

// The job data (JSON text) and back.
std::string EncodeHttpCall(const HttpCall& call);
Result<HttpCall> DecodeHttpCall(std::string_view data);

// Vercel Cron never retries; cronq does: 3 attempts, exponential backoff from 1 s.
JobOptions DefaultHttpCallOptions();

}  // namespace cronq::push
