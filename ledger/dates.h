// Calendar dates of the domain (review dates, training dates, licences) and
// the arithmetic the rules need. All days are UTC civil days.
#ifndef CARELEDGER_LEDGER_DATES_H_
#define CARELEDGER_LEDGER_DATES_H_

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "careledger/v1/common.pb.h"

namespace careledger::ledger {

// False for an unset Date (year 0) or one that is not a real day (31 June).
bool IsValidDate(const careledger::v1::Date& date);

// The civil day of a valid date.
absl::CivilDay ToCivilDay(const careledger::v1::Date& date);
careledger::v1::Date FromCivilDay(absl::CivilDay day);

// The UTC day `now` falls on.
absl::CivilDay Today(absl::Time now);

// `day` moved by whole calendar months; the day of month is clamped to the
// target month's length (31 January + 1 month = 28 or 29 February).
absl::CivilDay AddMonths(absl::CivilDay day, int months);

// "2026-11-22".
std::string FormatDate(const careledger::v1::Date& date);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_DATES_H_
