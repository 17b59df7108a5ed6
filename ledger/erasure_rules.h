// Erasing a patient (docs/governance.md, "Erasure"): who may, when the
// retention rule allows it, and the signed PatientErased it becomes.
//
// Only the CMC team (ROLE_AUDITOR), meeting the access prerequisites
// (ledger/access_rules.h, checked before), may erase; every other role is
// refused (PERMISSION_DENIED, recorded like any refusal). A granted erasure
// appends one PatientErased to the patient's stream; `careledger erase` then
// destroys the patient's data key (ledger/data_keys.h).
//
// The retention rule (kRetentionRule): the plan is kept for the retention
// period (kDefaultRetentionYears, or the command's retention_years) from the
// day the patient died, or from the day consent was withdrawn. Before that
// day passes, or while the plan is still open (the period has not begun),
// the erasure is refused unless the command gives a retention_override: why
// the CMC team erases early (e.g. a right-to-erasure decision), recorded in
// the event with the rule and period as applied.
//
// Refused also: a reason left empty (INVALID_ARGUMENT); a patient the ledger
// has no record of (NOT_FOUND); one already erased (FAILED_PRECONDITION).
#ifndef CARELEDGER_LEDGER_ERASURE_RULES_H_
#define CARELEDGER_LEDGER_ERASURE_RULES_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan_state.pb.h"

namespace careledger::ledger {

// Records Management Code of Practice 2021 (NHS England), retention schedule:
// adult health records, 8 years after the conclusion of treatment or death.
inline constexpr std::uint32_t kDefaultRetentionYears = 8;
inline constexpr std::string_view kRetentionRule =
    "Records Management Code of Practice 2021: adult health records, retained for the period "
    "after death or the end of care (consent withdrawn)";

bool IsErasureCommand(const careledger::v1::Command& command);

// Decides an ErasePatient whose actor met the access prerequisites, against
// the patient's folded plan and stream position: its PatientErased event
// (body only), or one of the refusals above.
absl::StatusOr<careledger::v1::Event> DecideErasure(const careledger::v1::PlanState& plan,
                                                    std::uint64_t stream_seq,
                                                    const careledger::v1::Command& command,
                                                    absl::Time now);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_ERASURE_RULES_H_
