// Setting and showing the rules' thresholds (projections/investigation.h:
// SetThreshold, ThresholdValues).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "projections/investigation.h"
#include "projections/investigation/text.h"

namespace careledger::projections {
namespace {

using investigation::ClockText;
using investigation::DayText;
using investigation::OrganisationTypeKey;
using investigation::RoleText;

bool ParseInt(std::string_view text, int min, int* value) {
  int parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size() || parsed < min) return false;
  *value = parsed;
  return true;
}

// "HH:MM" -> minutes after midnight (24:00 allowed as the end of the day).
bool ParseClock(std::string_view text, int* minutes) {
  int hours = 0;
  int mins = 0;
  if (text.size() != 5 || text[2] != ':' || !ParseInt(text.substr(0, 2), 0, &hours) ||
      !ParseInt(text.substr(3, 2), 0, &mins) || mins > 59 || hours > 24 ||
      (hours == 24 && mins != 0)) {
    return false;
  }
  *minutes = hours * 60 + mins;
  return true;
}

std::vector<std::string_view> SplitList(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

// The roles out of hours judges, and so may say work shifts.
constexpr std::array<careledger::v1::Role, 3> kShiftRoles = {careledger::v1::ROLE_CLINICIAN,
                                                             careledger::v1::ROLE_ADMINISTRATOR,
                                                             careledger::v1::ROLE_AUDITOR};

// "clinician" for ROLE_CLINICIAN.
std::string RoleKey(careledger::v1::Role role) {
  std::string key = RoleText(role);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

std::string JoinedList(std::vector<std::string> names) {
  if (names.empty()) return "none";
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ","));
}

std::string JoinedTypes(const std::vector<careledger::v1::OrganisationType>& types) {
  if (types.empty()) return "none";
  std::vector<std::string> names;
  for (careledger::v1::OrganisationType type : types) names.push_back(OrganisationTypeKey(type));
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ","));
}

}  // namespace

absl::Status SetThreshold(std::string_view assignment, RuleThresholds* thresholds) {
  const std::size_t equals = assignment.find('=');
  const std::string_view key = assignment.substr(0, equals);
  const std::string_view value =
      equals == std::string_view::npos ? std::string_view() : assignment.substr(equals + 1);
  const auto bad = [&](std::string_view expected) {
    std::vector<std::string> keys;
    for (const auto& [name, unused] : ThresholdValues(RuleThresholds())) keys.push_back(name);
    return absl::InvalidArgumentError(fmt::format("threshold '{}': {} (thresholds: {})", assignment,
                                                  expected, fmt::join(keys, ", ")));
  };
  if (equals == std::string_view::npos) return bad("expected KEY=VALUE");
  const auto number = [&](int min, int* field) {
    return ParseInt(value, min, field) ? absl::OkStatus()
                                       : bad(fmt::format("expected a whole number >= {}", min));
  };
  if (key == "deceased_days") return number(0, &thresholds->deceased_days);
  if (key == "many_patients") return number(1, &thresholds->many_patients);
  if (key == "many_patients_minutes") return number(1, &thresholds->many_patients_minutes);
  if (key == "refusals") return number(1, &thresholds->refusals);
  if (key == "refusals_minutes") return number(1, &thresholds->refusals_minutes);
  if (key == "licence_months") return number(1, &thresholds->licence_months);
  if (key == "time_zone") {
    absl::TimeZone zone;
    if (value.empty() || !absl::LoadTimeZone(std::string(value), &zone)) {
      return bad("expected a time zone that can be loaded (e.g. Europe/London, UTC)");
    }
    thresholds->time_zone = std::string(value);
    return absl::OkStatus();
  }
  if (key == "working_hours") {
    const std::size_t dash = value.find('-');
    int start = 0;
    int end = 0;
    if (dash == std::string_view::npos || !ParseClock(value.substr(0, dash), &start) ||
        !ParseClock(value.substr(dash + 1), &end) || start >= end) {
      return bad("expected HH:MM-HH:MM, start before end");
    }
    thresholds->working_day_start = start;
    thresholds->working_day_end = end;
    return absl::OkStatus();
  }
  if (key == "bank_holidays") {
    std::vector<absl::CivilDay> days;
    if (value != "none") {
      for (std::string_view item : SplitList(value)) {
        absl::CivilDay day;
        if (!absl::ParseCivilTime(std::string(item), &day))
          return bad("expected YYYY-MM-DD,... or none");
        days.push_back(day);
      }
    }
    thresholds->bank_holidays = std::move(days);
    return absl::OkStatus();
  }
  if (key == "out_of_hours_shift_roles") {
    std::vector<careledger::v1::Role> roles;
    if (value != "none") {
      for (std::string_view item : SplitList(value)) {
        const auto known =
            std::find_if(kShiftRoles.begin(), kShiftRoles.end(),
                         [&](careledger::v1::Role role) { return RoleKey(role) == item; });
        if (known == kShiftRoles.end()) {
          return bad(
              "expected roles (clinician, administrator, auditor) separated by commas, "
              "or none");
        }
        roles.push_back(*known);
      }
    }
    thresholds->out_of_hours_shift_roles = std::move(roles);
    return absl::OkStatus();
  }
  if (key == "out_of_hours_exempt_orgs") {
    std::vector<std::string> codes;
    if (value != "none") {
      for (std::string_view item : SplitList(value)) {
        if (!std::all_of(item.begin(), item.end(),
                         [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); })) {
          return bad(
              "expected ODS codes (upper-case letters and digits) separated by commas, "
              "or none");
        }
        codes.emplace_back(item);
      }
    }
    thresholds->out_of_hours_exempt_orgs = std::move(codes);
    return absl::OkStatus();
  }
  if (key == "out_of_hours_exempt") {
    std::vector<careledger::v1::OrganisationType> types;
    if (value != "none") {
      for (std::string_view item : SplitList(value)) {
        bool known = false;
        for (int t = careledger::v1::OrganisationType_MIN + 1;
             t <= careledger::v1::OrganisationType_MAX; ++t) {
          const auto type = static_cast<careledger::v1::OrganisationType>(t);
          if (careledger::v1::OrganisationType_IsValid(t) && OrganisationTypeKey(type) == item) {
            types.push_back(type);
            known = true;
          }
        }
        if (!known) {
          return bad(
              "expected organisation types (gp_practice, hospital, hospice, care_home, "
              "ambulance_service, nhs_111, out_of_hours_gp, community_nursing, "
              "cmc_service) separated by commas, or none");
        }
      }
    }
    thresholds->out_of_hours_exempt = std::move(types);
    return absl::OkStatus();
  }
  return bad("unknown threshold");
}

std::vector<std::pair<std::string, std::string>> ThresholdValues(const RuleThresholds& t) {
  std::vector<std::string> holidays;
  for (absl::CivilDay day : t.bank_holidays) holidays.push_back(DayText(day));
  std::vector<std::string> roles;
  for (careledger::v1::Role role : t.out_of_hours_shift_roles) roles.push_back(RoleKey(role));
  return {
      {"deceased_days", std::to_string(t.deceased_days)},
      {"working_hours",
       fmt::format("{}-{}", ClockText(t.working_day_start), ClockText(t.working_day_end))},
      {"time_zone", t.time_zone},
      {"bank_holidays", holidays.empty() ? "none" : fmt::format("{}", fmt::join(holidays, ","))},
      {"out_of_hours_exempt", JoinedTypes(t.out_of_hours_exempt)},
      {"out_of_hours_shift_roles", JoinedList(roles)},
      {"out_of_hours_exempt_orgs", JoinedList(t.out_of_hours_exempt_orgs)},
      {"many_patients", std::to_string(t.many_patients)},
      {"many_patients_minutes", std::to_string(t.many_patients_minutes)},
      {"refusals", std::to_string(t.refusals)},
      {"refusals_minutes", std::to_string(t.refusals_minutes)},
      {"licence_months", std::to_string(t.licence_months)},
  };
}

}  // namespace careledger::projections
