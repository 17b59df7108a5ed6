// break_glass: a granted read through break-glass (MEDIUM).
#include <fmt/format.h>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

void BreakGlass(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  if (!record.read || !entry.break_glass()) return;
  scope.alerts.RaiseOne(
      "break_glass", careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
      fmt::format("{} read the plan of {} through break-glass, giving the reason \"{}\"{}",
                  Who(entry.actor()), entry.nhs_number(), entry.break_glass_reason(),
                  entry.restricted() ? "; the plan was restricted" : ""));
}

}  // namespace careledger::projections::investigation
