// Times as people at the CMC enter and read them: Europe/London wall-clock
// time (GMT in winter, BST = UTC+1 in summer). The log stores UTC
// (Event.recorded_at); these translate at the edge, for the CLI and the
// service alike.
#ifndef CARELEDGER_ACCESS_LONDON_TIME_H_
#define CARELEDGER_ACCESS_LONDON_TIME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace careledger::access {

// Parses an ISO 8601 instant "YYYY-MM-DDTHH:MM[:SS[.fraction]]" ('T' or a
// space between date and time), with an offset ("Z", "+01:00", "-0500") or
// without one, when it is London local time. Contract for local times at
// the clock changes (docs/governance.md, "Times"): a local time that
// happens twice (the last Sunday of October, 01:00 to 01:59:59) or never
// (the last Sunday of March, 01:00 to 01:59:59) is INVALID_ARGUMENT with a
// message saying which offset to add; careledger does not guess.
// INVALID_ARGUMENT also for anything else unreadable, or a date alone.
absl::StatusOr<absl::Time> ParseLondonTime(std::string_view text);

// "2026-06-15 13:00:00 BST" (fractional seconds shown when not zero),
// London wall-clock time and its zone abbreviation, GMT or BST.
std::string FormatLondonTime(absl::Time time);

// The London wall-clock weekday (0 = Monday ... 6 = Sunday) and hour (0 to
// 23) of `time`, as a bubble on the workbench's heat map places it: 00:30
// UTC on the last Sunday of March is Sunday hour 0 (GMT), 01:30 UTC is
// Sunday hour 2 (BST). Like FormatLondonTime, UTC's when the zone database
// cannot be loaded (LondonZoneName() then says "UTC").
struct WeekdayHour {
  int weekday = 0;
  int hour = 0;
};
WeekdayHour LondonWeekdayHour(absl::Time time);

// "Europe/London", or "UTC" when the zone database cannot be loaded: the
// zone FormatLondonTime and LondonWeekdayHour use.
std::string LondonZoneName();

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_LONDON_TIME_H_
