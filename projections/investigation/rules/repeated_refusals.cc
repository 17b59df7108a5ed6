// repeated_refusals: `refusals` refused attempts by one user within
// refusals_minutes (MEDIUM), raised once per crossing.
#include <fmt/format.h>

#include <set>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

void RepeatedRefusals(RuleScope& scope, const Examined& record, bool in_range, Window* window) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const absl::Time at = record.at;
  const RuleThresholds& thresholds = scope.thresholds;
  if (record.read) return;
  window->Add(entry, at, absl::Minutes(thresholds.refusals_minutes));
  const std::size_t count = window->items.size();
  if (!window->Crossed(count >= static_cast<std::size_t>(thresholds.refusals)) || !in_range) {
    return;
  }
  careledger::v1::Alert& alert = scope.alerts.Raise(
      "repeated_refusals", careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
      fmt::format("{} was refused {} times between {} and {} ({}): at least {} within {} "
                  "minutes; the last, {}: {}",
                  Who(entry.actor()), count, TimeText(window->items.front().at, scope.zone),
                  absl::FormatTime("%H:%M", at, scope.zone), scope.zone_name, thresholds.refusals,
                  thresholds.refusals_minutes, entry.action(), entry.reason()));
  if (window->per_patient.size() != 1) alert.clear_nhs_number();
  for (const Window::Item& item : window->items) *alert.add_evidence() = item.position;
}

}  // namespace careledger::projections::investigation
