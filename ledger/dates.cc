#include "ledger/dates.h"

#include <fmt/format.h>

namespace careledger::ledger {

bool IsValidDate(const careledger::v1::Date& date) {
  if (date.year() < 1 || date.month() < 1 || date.month() > 12 || date.day() < 1) return false;
  const absl::CivilDay day(date.year(), date.month(), date.day());
  // CivilDay normalises an impossible day (31 June -> 1 July): compare back.
  return day.year() == date.year() && day.month() == date.month() && day.day() == date.day();
}

absl::CivilDay ToCivilDay(const careledger::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

careledger::v1::Date FromCivilDay(absl::CivilDay day) {
  careledger::v1::Date date;
  date.set_year(static_cast<int>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

absl::CivilDay Today(absl::Time now) { return absl::ToCivilDay(now, absl::UTCTimeZone()); }

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay first_of_next(absl::CivilMonth(target + 1));
  const int last_day = (first_of_next - 1).day();
  return absl::CivilDay(target.year(), target.month(), std::min(day.day(), last_day));
}

std::string FormatDate(const careledger::v1::Date& date) {
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

}  // namespace careledger::ledger
