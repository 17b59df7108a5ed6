#include "projections/investigation/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"

namespace careledger::projections::investigation {
namespace {

// Whether `token` is a house number: digits, optionally "-digits", and
// optionally one letter ("12", "12a", "12-14").
bool IsHouseNumber(std::string_view token) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < token.size() && absl::ascii_isdigit(static_cast<unsigned char>(token[i]))) ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i < token.size() && token[i] == '-') {
    ++i;
    if (!digits()) return false;
  }
  if (i < token.size() && absl::ascii_isalpha(static_cast<unsigned char>(token[i]))) ++i;
  return i == token.size();
}

std::string NhsDigits(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

}  // namespace

// Lower case, every run of punctuation and spaces one space, trimmed; bytes
// of UTF-8 sequences kept as they are. "  O'Brien " and "o brien" are equal.
std::string NormalisedText(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || std::isalnum(byte)) {
      if (gap && !out.empty()) out.push_back(' ');
      gap = false;
      out.push_back(static_cast<char>(byte >= 0x80 ? byte : std::tolower(byte)));
    } else {
      gap = true;
    }
  }
  return out;
}

// Upper case letters and digits only: "se1 7eh" and "SE17EH" are equal.
std::string NormalisedPostcode(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte)) out.push_back(static_cast<char>(std::toupper(byte)));
  }
  return out;
}

// The street of an address: the first comma-separated part that starts
// with a house number, without it, normalised: "Flat 2, 12a Rose Lane,
// London" -> "rose lane". "" when no part does (a named house alone says
// nothing about the street).
std::string StreetOf(std::string_view address) {
  while (!address.empty()) {
    const std::size_t comma = std::min(address.find(','), address.size());
    std::string_view part = address.substr(0, comma);
    address.remove_prefix(std::min(comma + 1, address.size()));
    while (!part.empty() && absl::ascii_isspace(static_cast<unsigned char>(part.front()))) {
      part.remove_prefix(1);
    }
    const std::size_t space = part.find(' ');
    if (space == std::string_view::npos || !IsHouseNumber(part.substr(0, space))) continue;
    std::string street = NormalisedText(part.substr(space + 1));
    if (!street.empty()) return street;
  }
  return "";
}

bool SameNhsNumber(std::string_view a, std::string_view b) {
  const std::string digits = NhsDigits(a);
  return !digits.empty() && digits == NhsDigits(b);
}

std::string RoleText(careledger::v1::Role role) {
  std::string name = careledger::v1::Role_Name(role);
  if (name.starts_with("ROLE_")) name.erase(0, 5);
  return name;
}

std::string OrganisationTypeKey(careledger::v1::OrganisationType type) {
  std::string name = careledger::v1::OrganisationType_Name(type);
  constexpr std::string_view kPrefix = "ORGANISATION_TYPE_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// "dr.patel (CLINICIAN, GP0001)".
std::string Who(const careledger::v1::Actor& actor) {
  return fmt::format("{} ({}, {})", actor.user_id(), RoleText(actor.role()),
                     actor.organisation().empty() ? "no organisation" : actor.organisation());
}

std::string DayText(absl::CivilDay day) {
  return fmt::format("{:04d}-{:02d}-{:02d}", day.year(), day.month(), day.day());
}

std::string TimeText(absl::Time at, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", at, zone);
}

std::string ClockText(int minutes) {
  return fmt::format("{:02d}:{:02d}", minutes / 60, minutes % 60);
}

bool IsMyCmc(careledger::v1::Role role) {
  return role == careledger::v1::ROLE_PATIENT || role == careledger::v1::ROLE_PROXY_VIEWER;
}

bool IsProfessional(careledger::v1::Role role) {
  return role == careledger::v1::ROLE_CLINICIAN || role == careledger::v1::ROLE_ADMINISTRATOR ||
         role == careledger::v1::ROLE_URGENT_CARE || role == careledger::v1::ROLE_AUDITOR;
}

std::optional<absl::CivilDay> DayOf(const careledger::v1::Date& date) {
  if (date.year() == 0) return std::nullopt;
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return std::nullopt;  // not a real day
  }
  return day;
}

// `day` moved by whole months, the day of month clamped to the month's
// length (as the ledger's licence rule counts, ledger/dates.h).
absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth month = absl::CivilMonth(day) + months;
  const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
  return absl::CivilDay(month.year(), month.month(), std::min(day.day(), last.day()));
}

}  // namespace careledger::projections::investigation
