#include "access/london_time.h"

#include <fmt/format.h>

#include <cctype>

#include "absl/time/civil_time.h"

namespace careledger::access {
namespace {

constexpr std::string_view kExpected =
    "expected an ISO 8601 time such as 2026-06-15T13:00 (London time), 2026-06-15T13:00:00+01:00 "
    "or 2026-06-15T12:00:00Z";

const absl::TimeZone& London() {
  static const absl::TimeZone* const zone = [] {
    auto* loaded = new absl::TimeZone();
    // Without the zone database this falls back to UTC: refused below.
    if (!absl::LoadTimeZone("Europe/London", loaded)) *loaded = absl::TimeZone();
    return loaded;
  }();
  return *zone;
}

bool LondonLoaded() { return London().name() == "Europe/London"; }

// London, or UTC when the zone database cannot be loaded.
const absl::TimeZone& ZoneInUse() {
  static const absl::TimeZone utc = absl::UTCTimeZone();
  return LondonLoaded() ? London() : utc;
}

// "Z", "+HH:MM", "+HHMM", "+HH" (and "-"): seconds east of UTC.
absl::StatusOr<int> ParseOffset(std::string_view text) {
  if (text == "Z" || text == "z") return 0;
  std::string digits;
  for (char c : text.substr(1)) {
    if (c == ':') continue;
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          fmt::format("'{}' is not a UTC offset; {}", text, kExpected));
    }
    digits.push_back(c);
  }
  if (digits.size() != 2 && digits.size() != 4) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a UTC offset; {}", text, kExpected));
  }
  const int hours = std::stoi(digits.substr(0, 2));
  const int minutes = digits.size() == 4 ? std::stoi(digits.substr(2, 2)) : 0;
  if (hours > 14 || minutes > 59) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a UTC offset", text));
  }
  const int seconds = hours * 3600 + minutes * 60;
  return text[0] == '-' ? -seconds : seconds;
}

}  // namespace

absl::StatusOr<absl::Time> ParseLondonTime(std::string_view input) {
  std::string text(input);
  if (text.size() < 16 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a date and time; {}", input, kExpected));
  }
  text[10] = 'T';
  // The offset, if any, starts after the time of day ("HH:MM" is 5 characters).
  std::size_t offset_at = text.find_first_of("Zz+-", 16);
  const std::string civil_text = text.substr(0, offset_at);
  absl::Time as_utc;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", civil_text, absl::UTCTimeZone(), &as_utc, &error) &&
      !absl::ParseTime("%Y-%m-%dT%H:%M", civil_text, absl::UTCTimeZone(), &as_utc, &error)) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a date and time; {}", input, kExpected));
  }
  if (offset_at != std::string::npos) {
    absl::StatusOr<int> offset = ParseOffset(std::string_view(text).substr(offset_at));
    if (!offset.ok()) return offset.status();
    return as_utc - absl::Seconds(*offset);
  }
  if (!LondonLoaded()) {
    return absl::FailedPreconditionError(
        "the Europe/London time zone cannot be loaded (install tzdata), so a time without an "
        "offset cannot be read; add one (Z or +01:00)");
  }
  const absl::CivilSecond civil = absl::ToCivilSecond(as_utc, absl::UTCTimeZone());
  const absl::Duration fraction = as_utc - absl::FromCivil(civil, absl::UTCTimeZone());
  const absl::TimeZone::TimeInfo info = London().At(civil);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre + fraction;
    case absl::TimeZone::TimeInfo::REPEATED:
      return absl::InvalidArgumentError(fmt::format(
          "{} happens twice in London (the clocks went back from BST to GMT): say which with an "
          "offset, {}+01:00 (BST, the first) or {}+00:00 (GMT, the second)",
          civil_text, civil_text, civil_text));
    case absl::TimeZone::TimeInfo::SKIPPED:
      return absl::InvalidArgumentError(fmt::format(
          "{} never happened in London (the clocks went forward from GMT to BST at 01:00)",
          civil_text));
  }
  return absl::InternalError("unknown time zone answer");
}

std::string FormatLondonTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E*S %Z", time, ZoneInUse());
}

WeekdayHour LondonWeekdayHour(absl::Time time) {
  const absl::CivilHour local = absl::ToCivilHour(time, ZoneInUse());
  // absl::Weekday counts from Monday = 0.
  return {static_cast<int>(absl::GetWeekday(absl::CivilDay(local))), local.hour()};
}

std::string LondonZoneName() { return ZoneInUse().name(); }

}  // namespace careledger::access
