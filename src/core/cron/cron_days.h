// DayTable: which days of a month a CronExpr's day fields allow.
//
// Whether day d of a month matches depends only on the month's length (28-31) and
// the weekday of its 1st, so the day fields reduce to 4 x 7 masks computed once.
// This is what lets the search skip whole months and detect, without searching,
// an expression that can never fire (e.g. "0 0 30 2 *").
#pragma once

#include <cstdint>

#include "core/cron/cron_expr.h"

namespace cronq {

class DayTable {
 public:
  explicit DayTable(const CronExpr& e);

  // Bit d (1..days_in_month) set when day d matches. weekday_of_1st: 0 = Sunday.
  uint32_t Mask(int days_in_month, int weekday_of_1st) const {
    return masks_[days_in_month - 28][weekday_of_1st];
  }

  // False when no month allowed by the month field ever has a matching day.
  bool CanMatch(uint16_t months) const;

 private:
  uint32_t masks_[4][7];
};

}  // namespace cronq
