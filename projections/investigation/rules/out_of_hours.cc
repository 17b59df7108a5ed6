// out_of_hours: a read outside working hours, at a weekend or on a bank
// holiday (local time) that the reader's role and organisation do not
// explain (LOW). Urgent care, patients and proxies are never judged. A
// clinician (out_of_hours_shift_roles) at an organisation of a 24-hour type
// (out_of_hours_exempt) works shifts; an administrator or a CMC team member
// keeps office hours wherever they work; any user of an organisation listed
// in out_of_hours_exempt_orgs works around the clock.
#include <fmt/format.h>

#include <algorithm>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {
namespace {

template <typename T>
bool Contains(const std::vector<T>& items, const T& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

absl::Status OutOfHours(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const careledger::v1::Actor& actor = entry.actor();
  const RuleThresholds& thresholds = scope.thresholds;
  const careledger::v1::Role role = actor.role();
  if (!record.read ||
      (role != careledger::v1::ROLE_CLINICIAN && role != careledger::v1::ROLE_ADMINISTRATOR &&
       role != careledger::v1::ROLE_AUDITOR)) {
    return absl::OkStatus();
  }
  if (Contains(thresholds.out_of_hours_exempt_orgs, actor.organisation())) {
    return absl::OkStatus();
  }
  absl::StatusOr<careledger::v1::OrganisationType> type =
      scope.facts.FindOrganisationType(actor.organisation());
  if (!type.ok()) return type.status();
  const bool shift_role = Contains(thresholds.out_of_hours_shift_roles, role);
  const bool around_the_clock = Contains(thresholds.out_of_hours_exempt, *type);
  if (shift_role && around_the_clock) return absl::OkStatus();
  const absl::CivilSecond local = absl::ToCivilSecond(record.at, scope.zone);
  const absl::CivilDay day(local);
  const absl::Weekday weekday = absl::GetWeekday(day);
  const int minutes = local.hour() * 60 + local.minute();
  std::string why;
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) {
    why = "at a weekend";
  } else if (Contains(thresholds.bank_holidays, day)) {
    why = "on a bank holiday";
  } else if (minutes < thresholds.working_day_start || minutes >= thresholds.working_day_end) {
    why = fmt::format("outside working hours {}-{}", ClockText(thresholds.working_day_start),
                      ClockText(thresholds.working_day_end));
  } else {
    return absl::OkStatus();
  }
  const std::string explained =
      around_the_clock
          ? fmt::format(
                "the organisation ({}, {}) works around the clock, but a {} keeps office "
                "hours there",
                actor.organisation(), OrganisationTypeKey(*type), RoleText(role))
          : fmt::format(
                "the role is not urgent care and the organisation ({}) is not a 24-hour "
                "service",
                OrganisationTypeKey(*type));
  scope.alerts.RaiseOne(
      "out_of_hours", careledger::v1::ALERT_SEVERITY_LOW, entry,
      fmt::format("{} read the plan of {} at {} ({}, {}): {}; {}", Who(actor), entry.nhs_number(),
                  absl::FormatTime("%H:%M", record.at, scope.zone),
                  absl::FormatTime("%A %Y-%m-%d", record.at, scope.zone), scope.zone_name, why,
                  explained));
  return absl::OkStatus();
}

}  // namespace careledger::projections::investigation
