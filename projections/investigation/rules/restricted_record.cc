// restricted_record: a refused attempt on a restricted plan (MEDIUM); a
// granted read of a restricted plan, without break-glass, by someone not
// named on the restriction then (HIGH). Patients and proxies are not judged.
#include <fmt/format.h>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

absl::Status RestrictedRecord(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const careledger::v1::Actor& actor = entry.actor();
  const std::string& nhs = entry.nhs_number();
  if (IsMyCmc(actor.role()) || nhs.empty()) return absl::OkStatus();
  if (!record.read) {
    // Attempts on the plan itself (its reads, commands and audit trail),
    // not refusals that merely name the patient (an alert review).
    if (entry.subject() != fmt::format("patient/{}", nhs)) return absl::OkStatus();
    const Patient* patient = record.patient;
    const bool restricted = entry.restricted() || (patient != nullptr && patient->restricted_now &&
                                                   patient->restricted_since <= record.at);
    if (restricted) {
      scope.alerts.RaiseOne("restricted_record", careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
                            fmt::format("{} was refused {} on the restricted plan of {}: {}",
                                        Who(actor), entry.action(), nhs, entry.reason()));
    }
    return absl::OkStatus();
  }
  if (!entry.restricted() || entry.break_glass()) return absl::OkStatus();
  absl::StatusOr<std::optional<std::set<std::string>>> allowed =
      scope.facts.AllowedAt(nhs, record.at, record.patient);
  if (!allowed.ok()) return allowed.status();
  if (allowed->has_value() && (*allowed)->contains(actor.user_id())) return absl::OkStatus();
  scope.alerts.RaiseOne(
      "restricted_record", careledger::v1::ALERT_SEVERITY_HIGH, entry,
      fmt::format(
          "{} read the restricted plan of {} without break-glass and was not named on "
          "the restriction{}",
          Who(actor), nhs,
          allowed->has_value() ? "" : " (no restriction in force then is in the plan's history)"));
  return absl::OkStatus();
}

}  // namespace careledger::projections::investigation
