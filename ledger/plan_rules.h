// The minimal plan lifecycle's rules: start (with consent), edit a section of
// the working draft, approve (publish) it. Pure functions over the ledger's own
// state; the full CMC workflow grows here.
#ifndef CARELEDGER_LEDGER_PLAN_RULES_H_
#define CARELEDGER_LEDGER_PLAN_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan.pb.h"

namespace careledger::ledger {

// What the ledger knows of one plan stream, enough to decide its commands.
struct PlanState {
  bool started = false;
  std::uint64_t published_version = 0;  // 0 = never published
  bool draft_pending = false;           // the draft has changes not yet published
  careledger::v1::CarePlan draft;
};

// The stream a command addresses ("patient/<nhs number>"). INVALID_ARGUMENT
// when the command has no body or its NHS number is invalid.
absl::StatusOr<std::string> CommandStream(const careledger::v1::Command& command);

// Decides `command` against `state`. On acceptance returns the events to
// append, with only their body set (the writer fills in the envelope). On
// refusal returns, and appends nothing:
//  - INVALID_ARGUMENT: the command itself is wrong (missing consent, ...);
//  - PERMISSION_DENIED: the actor's role may not do this;
//  - FAILED_PRECONDITION: not allowed in the plan's state.
absl::StatusOr<std::vector<careledger::v1::Event>> DecidePlanCommand(
    const PlanState& state, const careledger::v1::Command& command);

// Folds one of the plan's events into `state`: the same meaning the
// projections give it. Events of other kinds leave `state` unchanged.
void ApplyPlanEvent(const careledger::v1::Event& event, PlanState* state);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_PLAN_RULES_H_
