// Investigation cases (docs/domain.md, "Investigation cases"): the CMC
// team's file on one person or patient, grouping alerts and notes. Who may,
// what each command must say, and the signed event it becomes.
//
// Only the CMC team (ROLE_AUDITOR), meeting the access prerequisites
// (ledger/access_rules.h, checked before), may open, add to or close a
// case; every other role is refused (PERMISSION_DENIED, recorded like any
// refusal). Each case is one stream, "audit/case/<case id>":
//
//   OpenCase      -> CaseOpened      the stream must have no event yet
//                                    (ALREADY_EXISTS otherwise); a title
//                                    (one line, at most kMaxLineLength) and
//                                    exactly one subject: a user id or a
//                                    valid NHS number
//   AddCaseAlert  -> CaseAlertAdded  an open case (NOT_FOUND for none,
//   AddCaseNote   -> CaseNoteAdded   FAILED_PRECONDITION once closed); a
//   CloseCase     -> CaseClosed      well-formed alert id; a note that is
//                                    not empty; an outcome to close with
//
// Notes are at most kMaxReviewNoteLength characters. The ledger cannot tell
// whether an alert exists (alerts are evaluated on demand, never stored:
// ledger/alert_review_rules.h); the front ends check that the rules raise
// it before submitting (access/investigation_case.h).
#ifndef CARELEDGER_LEDGER_CASE_RULES_H_
#define CARELEDGER_LEDGER_CASE_RULES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"

namespace careledger::ledger {

inline constexpr std::size_t kMaxCaseIdLength = 64;

bool IsCaseCommand(const careledger::v1::Command& command);

// OK for 1..kMaxCaseIdLength of a-z, 0-9 and '-'; INVALID_ARGUMENT otherwise.
absl::Status ValidateCaseId(std::string_view case_id);

// "audit/case/<case id>" (the id unchecked).
std::string CaseStream(std::string_view case_id);

// The case a case command names ("" for any other command).
std::string CaseIdOf(const careledger::v1::Command& command);

// The stream a case command goes to; INVALID_ARGUMENT for a malformed case id.
absl::StatusOr<std::string> CaseCommandStream(const careledger::v1::Command& command);

// The NHS number a case command names ("" when none).
std::string CaseNhsNumber(const careledger::v1::Command& command);

// What the command says, checked without the case's state or the actor:
// INVALID_ARGUMENT naming the field, or OK. (The front ends check this
// before submitting an auditor's command, so bad input appends nothing.)
absl::Status ValidateCaseCommand(const careledger::v1::Command& command);

// The state of the case's stream a command is decided against.
struct CaseState {
  std::uint64_t stream_seq = 0;  // 0: no case with this id
  bool closed = false;
};

// Decides a case command whose actor met the access prerequisites: its one
// event (body only), or INVALID_ARGUMENT / PERMISSION_DENIED / NOT_FOUND /
// ALREADY_EXISTS / FAILED_PRECONDITION as above.
absl::StatusOr<std::vector<careledger::v1::Event>> DecideCaseCommand(
    const careledger::v1::Command& command, const CaseState& state);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_CASE_RULES_H_
