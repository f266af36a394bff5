// Private to storage/: the text encodings of job options that both backends
// store (backoff "e,1000,0.25,0", retention "r" | "count,age", options
// "a=3;p=1;..."). Defined with the SQLite backend, which introduced them.
#pragma once

#include <string>
#include <string_view>

#include "core/job.h"

namespace cronq::sqlite {

std::string EncodeBackoff(const Backoff& b);
Backoff DecodeBackoff(std::string_view s);
std::string EncodeRetention(const Retention& r);
Retention DecodeRetention(std::string_view s);
std::string EncodeOptions(const JobOptions& o);
JobOptions DecodeOptions(std::string_view s);

}  // namespace cronq::sqlite
