#include "ledger/erasure_rules.h"

#include <fmt/format.h>

#include <optional>

#include "absl/status/status.h"
#include "ledger/dates.h"

namespace careledger::ledger {

bool IsErasureCommand(const careledger::v1::Command& command) {
  return command.has_erase_patient();
}

absl::StatusOr<careledger::v1::Event> DecideErasure(const careledger::v1::PlanState& plan,
                                                    std::uint64_t stream_seq,
                                                    const careledger::v1::Command& command,
                                                    absl::Time now) {
  const careledger::v1::ErasePatient& erase = command.erase_patient();
  if (command.actor().role() != careledger::v1::ROLE_AUDITOR) {
    return absl::PermissionDeniedError("only the CMC team may erase a patient");
  }
  if (erase.reason().empty()) {
    return absl::InvalidArgumentError("an erasure needs a reason (e.g. the consent withdrawal)");
  }
  if (stream_seq == 0) {
    return absl::NotFoundError(fmt::format(
        "the ledger has no record of patient {}: nothing to erase", erase.nhs_number()));
  }
  if (plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_ERASED) {
    return absl::FailedPreconditionError(
        fmt::format("patient {} was already erased", erase.nhs_number()));
  }
  const std::uint32_t years =
      erase.retention_years() == 0 ? kDefaultRetentionYears : erase.retention_years();
  std::optional<careledger::v1::Date> from;
  if (plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_CLOSED && plan.has_death() &&
      IsValidDate(plan.death().died_on())) {
    from = plan.death().died_on();
  } else if (plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_WITHDRAWN &&
             plan.has_withdrawal() && IsValidDate(plan.withdrawal().withdrawn_on())) {
    from = plan.withdrawal().withdrawn_on();
  }
  if (erase.retention_override().empty()) {
    if (!from) {
      return absl::FailedPreconditionError(fmt::format(
          "patient {}'s retention period has not begun (no death or consent withdrawal is "
          "recorded): erasing now needs a retention override saying why",
          erase.nhs_number()));
    }
    const absl::CivilDay ends = AddMonths(ToCivilDay(*from), static_cast<int>(12 * years));
    if (Today(now) < ends) {
      return absl::FailedPreconditionError(fmt::format(
          "patient {}'s retention period ({} years from {}) ends on {}: erasing earlier needs a "
          "retention override saying why",
          erase.nhs_number(), years, FormatDate(*from), FormatDate(FromCivilDay(ends))));
    }
  }
  careledger::v1::Event event;
  careledger::v1::PatientErased* erased = event.mutable_patient_erased();
  erased->set_reason(erase.reason());
  erased->set_retention_rule(std::string(kRetentionRule));
  erased->set_retention_years(years);
  if (from) *erased->mutable_retention_from() = *from;
  erased->set_retention_override(erase.retention_override());
  return event;
}

}  // namespace careledger::ledger
