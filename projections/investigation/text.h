// Text, dates and names as the investigation rules compare and print them
// (projections/investigation.h). Internal to the rules.
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_TEXT_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "careledger/v1/common.pb.h"
#include "careledger/v1/directory.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/roles.pb.h"

namespace careledger::projections::investigation {

// Lower case, every run of punctuation and spaces one space, trimmed; bytes
// of UTF-8 sequences kept as they are. "  O'Brien " and "o brien" are equal.
std::string NormalisedText(std::string_view text);

// Upper case letters and digits only: "se1 7eh" and "SE17EH" are equal.
std::string NormalisedPostcode(std::string_view text);

// The street of an address: the first comma-separated part that starts
// with a house number, without it, normalised: "Flat 2, 12a Rose Lane,
// London" -> "rose lane". "" when no part does (a named house alone says
// nothing about the street).
std::string StreetOf(std::string_view address);

// Whether two NHS numbers are the same number however they were written
// ("943 476 5919", "943-476-5919", "9434765919"): equal digits, and not
// empty. Records written before entries were normalised may be formatted.
bool SameNhsNumber(std::string_view a, std::string_view b);

// "CLINICIAN" for ROLE_CLINICIAN.
std::string RoleText(careledger::v1::Role role);

// "gp_practice" for ORGANISATION_TYPE_GP_PRACTICE (as thresholds name them).
std::string OrganisationTypeKey(careledger::v1::OrganisationType type);

// "dr.patel (CLINICIAN, GP0001)".
std::string Who(const careledger::v1::Actor& actor);

std::string DayText(absl::CivilDay day);                   // "2026-01-31"
std::string TimeText(absl::Time at, absl::TimeZone zone);  // "2026-01-31 03:12"
std::string ClockText(int minutes_after_midnight);         // "08:00"

bool IsMyCmc(careledger::v1::Role role);         // patient or proxy viewer
bool IsProfessional(careledger::v1::Role role);  // clinician, administrator, urgent care, auditor

// The day a Date names; nullopt when unset (year 0) or not a real day.
std::optional<absl::CivilDay> DayOf(const careledger::v1::Date& date);

// `day` moved by whole months, the day of month clamped to the month's
// length (as the ledger's licence rule counts, ledger/dates.h).
absl::CivilDay AddMonths(absl::CivilDay day, int months);

}  // namespace careledger::projections::investigation

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_TEXT_H_
