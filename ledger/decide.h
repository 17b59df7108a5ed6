// Deciding one command: authenticate the actor against the directory (the
// access prerequisites), authorise and validate it (plan or directory
// rules), and say which events to append where. The writer's only entry into
// the domain rules.
#ifndef CARELEDGER_LEDGER_DECIDE_H_
#define CARELEDGER_LEDGER_DECIDE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/access.pb.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "ledger/directory.h"

namespace careledger::ledger {

// The stream a command is about: "patient/<NHS number>" or
// "directory/{org,user,device}/<id>"; for an AuditQuery, the stream it is
// decided against (ledger/audit_rules.h: AuditStream), which it appends
// nothing to; for a ReviewAlert, "audit/alert/<alert id>"
// (ledger/alert_review_rules.h); for a case command, "audit/case/<case id>"
// (ledger/case_rules.h). INVALID_ARGUMENT when the command has no
// body, names an invalid NHS number or no directory id, or is a malformed
// audit query or alert review.
absl::StatusOr<std::string> CommandStream(const careledger::v1::Command& command);

// The command's kind as its field name in Command ("approve_plan", ...).
std::string CommandAction(const careledger::v1::Command& command);

// The state a command is decided against.
struct DecisionInput {
  const careledger::v1::PlanState& plan;  // of the command's stream (empty if none)
  std::uint64_t stream_seq = 0;           // that stream's last stream_seq
  const Directory& directory;
  absl::Time now;
  bool stream_closed = false;  // a case stream whose CaseClosed is folded in
};

// An accepted command.
struct Decision {
  std::vector<careledger::v1::Event> events;  // for the command's stream, body only
  // A granted read's or audit query's access record (for the access stream)
  // and, for a read, its grant.
  std::optional<careledger::v1::AccessRecorded> access;
  std::optional<careledger::v1::ViewGrant> view;
};

// Decides `command`. A refusal (INVALID_ARGUMENT, PERMISSION_DENIED,
// FAILED_PRECONDITION) appends no plan or directory event: the writer
// records it with RefusalRecord.
absl::StatusOr<Decision> DecideCommand(const DecisionInput& input,
                                       const careledger::v1::Command& command);

// The access record of a refused command or read: who tried what, on which
// subject, and why it was refused; the subject, NHS number and reasons
// escaped and cut (events/text.h: RecordableText, ledger/limits.h). (The writer also sets
// `restricted` when the patient's plan it was decided against was restricted.)
careledger::v1::AccessRecorded RefusalRecord(const careledger::v1::Command& command,
                                             const absl::Status& why);

// The actor of a refused command as its refusal record carries it: every
// field escaped and cut (events/text.h: RecordableText, ledger/limits.h), an
// unknown role recorded as ROLE_UNSPECIFIED. The command id of a refusal is
// recorded the same way (RecordableCommandId).
careledger::v1::Actor RecordableActor(const careledger::v1::Actor& actor);
std::string RecordableCommandId(std::string_view command_id);

// "access/<node id>": where a node's access records go.
std::string AccessStream(std::string_view node_id);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_DECIDE_H_
