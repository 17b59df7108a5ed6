// A command decided against the ledger's folded state: the one decision the
// writer and a read replica (ledger/replica.h) both make, so that a replica
// grants or refuses a read exactly as the writer would. Private to ledger/.
#ifndef CARELEDGER_LEDGER_INTERNAL_STATE_DECISION_H_
#define CARELEDGER_LEDGER_INTERNAL_STATE_DECISION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "ledger/decide.h"
#include "ledger/internal/ledger_state.h"

namespace careledger::ledger::internal {

struct StateDecision {
  // The command's stream ("" when it has none, decision then says why).
  std::string stream;
  // The events and access record it becomes, or why it is refused: no
  // command id, no stream, a stale expected_version, or the rules
  // (ledger/decide.h).
  absl::StatusOr<Decision> decision;
  // The plan decided against is restricted: a refusal is flagged too.
  bool restricted = false;
};

StateDecision DecideInState(const LedgerState& state, const careledger::v1::Command& command,
                            absl::Time now);

// The access record of a command refused for `refused`: actor and command id
// escaped (RecordableActor, RecordableCommandId), flagged when the plan is
// restricted, since the investigation rules look for attempts on restricted
// plans whether refused or not.
careledger::v1::Event RefusalEvent(const careledger::v1::Command& command,
                                   const absl::Status& refused, bool restricted);

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_STATE_DECISION_H_
