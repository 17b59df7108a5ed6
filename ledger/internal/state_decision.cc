#include "ledger/internal/state_decision.h"

#include <fmt/format.h>

namespace careledger::ledger::internal {

StateDecision DecideInState(const LedgerState& state, const careledger::v1::Command& command,
                            absl::Time now) {
  StateDecision out{.stream = "", .decision = absl::UnknownError("undecided")};
  absl::StatusOr<std::string> stream = CommandStream(command);
  if (command.command_id().empty()) {
    out.decision = absl::InvalidArgumentError("a command needs a command_id");
    return out;
  }
  if (!stream.ok()) {
    out.decision = stream.status();
    return out;
  }
  out.stream = *std::move(stream);
  static const careledger::v1::PlanState kNoPlan;
  const StreamState* current = state.Find(out.stream);
  const std::uint64_t seq = current ? current->head.seq : 0;
  out.restricted = current != nullptr && current->plan.has_restriction();
  if (command.has_expected_version() && command.expected_version() != seq) {
    out.decision = absl::FailedPreconditionError(
        fmt::format("expected stream version {}, but {} is at version {}",
                    command.expected_version(), out.stream, seq));
    return out;
  }
  out.decision =
      DecideCommand(DecisionInput{current ? current->plan : kNoPlan, seq, state.directory(), now,
                                  current != nullptr && current->closed},
                    command);
  return out;
}

careledger::v1::Event RefusalEvent(const careledger::v1::Command& command,
                                   const absl::Status& refused, bool restricted) {
  careledger::v1::Event refusal;
  *refusal.mutable_access_recorded() = RefusalRecord(command, refused);
  refusal.mutable_access_recorded()->set_restricted(restricted);
  *refusal.mutable_actor() = RecordableActor(command.actor());
  refusal.set_command_id(RecordableCommandId(command.command_id()));
  return refusal;
}

}  // namespace careledger::ledger::internal
