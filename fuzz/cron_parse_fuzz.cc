// libFuzzer entry for the cron parser and search (built only with clang; see
// src/core/cron/CMakeLists.txt). g++ builds run CronFuzz.* in cron_test instead.
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ && ninja -C build-fuzz cron_parse_fuzz
//   ./build-fuzz/src/core/cron/cron_parse_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/cron/cron_schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cronq::Result<cronq::CronSchedule> s = cronq::CronSchedule::Create(text, "America/New_York");
  if (!s.ok()) {
    if (!s.status().IsInvalidArgument()) std::abort();
    return 0;
  }
  cronq::TimeMs t = 1772928000000;  // 2026-03-08T00:00:00Z, a DST day
  for (int i = 0; i < 4; ++i) {
    std::optional<cronq::TimeMs> next = s->NextAfter(t);
    if (!next) break;
    if (*next <= t || *next % 1000 != 0) std::abort();
    t = *next;
  }
  return 0;
}
