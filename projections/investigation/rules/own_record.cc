// own_record: a professional's read of their own plan (HIGH): the NHS
// number on their directory record is the patient's, however either was
// written.
#include <fmt/format.h>

#include "projections/investigation/rules.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {

absl::Status OwnRecord(RuleScope& scope, const Examined& record) {
  const careledger::v1::AuditEntry& entry = record.entry;
  const careledger::v1::Actor& actor = entry.actor();
  if (!record.read || entry.nhs_number().empty() || !IsProfessional(actor.role())) {
    return absl::OkStatus();
  }
  absl::StatusOr<const careledger::v1::User*> user = scope.facts.FindUser(actor.user_id());
  if (!user.ok()) return user.status();
  if (*user == nullptr || !SameNhsNumber((*user)->nhs_number(), entry.nhs_number())) {
    return absl::OkStatus();
  }
  scope.alerts.RaiseOne(
      "own_record", careledger::v1::ALERT_SEVERITY_HIGH, entry,
      fmt::format("{} read their own plan: {} is the NHS number on their directory record",
                  Who(actor), entry.nhs_number()));
  return absl::OkStatus();
}

}  // namespace careledger::projections::investigation
