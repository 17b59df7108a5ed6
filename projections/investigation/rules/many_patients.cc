// many_patients: a user's reads of more than many_patients distinct patients
// within many_patients_minutes (HIGH), raised once per crossing.
#include <fmt/format.h>

#include <set>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

void ManyPatients(RuleScope& scope, const Examined& record, bool in_range, Window* window) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const absl::Time at = record.at;
  const RuleThresholds& thresholds = scope.thresholds;
  if (!record.read || entry.nhs_number().empty()) return;
  window->Add(entry, at, absl::Minutes(thresholds.many_patients_minutes));
  const std::size_t distinct = window->per_patient.size();
  if (!window->Crossed(distinct > static_cast<std::size_t>(thresholds.many_patients)) ||
      !in_range) {
    return;
  }
  careledger::v1::Alert& alert = scope.alerts.Raise(
      "many_patients", careledger::v1::ALERT_SEVERITY_HIGH, entry,
      fmt::format("{} read the plans of {} distinct patients between {} and {} ({}): more than "
                  "{} within {} minutes",
                  Who(entry.actor()), distinct, TimeText(window->items.front().at, scope.zone),
                  absl::FormatTime("%H:%M", at, scope.zone), scope.zone_name,
                  thresholds.many_patients, thresholds.many_patients_minutes));
  alert.clear_nhs_number();  // several
  std::set<std::string> seen;
  for (const Window::Item& item : window->items) {
    if (seen.insert(item.nhs_number).second) *alert.add_evidence() = item.position;
  }
}

}  // namespace careledger::projections::investigation
