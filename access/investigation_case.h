// Investigation cases (ledger/case_rules.h): what the service's
// /v1/audit/cases routes do (service/case_routes.cc).
//
// Acting on a case is a command. For the CMC team, what the command says is
// checked first (ledger::ValidateCaseCommand: INVALID_ARGUMENT, nothing
// submitted), and an alert put in a case must be one the rules raise now
// (access/alert_review.h: FindAlert's NOT_FOUND, nothing submitted), its
// patient named in the event. Whether the case exists and is open is the
// ledger's to decide (a refusal is recorded), so that a retried command is
// answered DUPLICATE, never refused. Anyone else's attempt goes straight to
// the ledger, which refuses it and records the refusal.
//
// Reading cases is an audit query of scope CASES (auditors are audited),
// recorded before anything is shown; a refused one shows nothing.
#ifndef CARELEDGER_ACCESS_INVESTIGATION_CASE_H_
#define CARELEDGER_ACCESS_INVESTIGATION_CASE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/alert_review.h"
#include "access/plan_read.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/writer.h"
#include "projections/investigation_cases.h"

namespace careledger::access {

// The case id of an OpenCase that names none: "case-" and the first 16 hex
// digits of the SHA-256 of its command id, so that a retry (same command
// id) names the same case and is answered DUPLICATE.
std::string CaseIdFor(std::string_view command_id);

// "open", "closed" (careledger.v1.CaseStatus, lower case); and back,
// INVALID_ARGUMENT naming `name` otherwise ("" = any status).
std::string CaseStatusName(careledger::v1::CaseStatus status);
absl::StatusOr<careledger::v1::CaseStatus> ParseCaseStatus(std::string_view name,
                                                           std::string_view text);

// Submits `command` (open_case, add_case_alert, add_case_note or
// close_case) and returns the writer's result, after the checks above for
// an actor of ROLE_AUDITOR (for an alert: `feed` brought forward once,
// FindAlert with `thresholds`). INVALID_ARGUMENT (nothing submitted) for a
// command that is not a case command.
absl::StatusOr<careledger::v1::CommandResult> ActOnCase(
    ledger::Writer& writer, careledger::v1::Command command,
    const projections::RuleThresholds& thresholds, ProjectionFeed& feed,
    const RecordTime& record_time, absl::Time deadline);

// The cases matching `filter`: `command` holds an audit_query of scope
// CASES with no subject.
struct CasesRead {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  std::optional<std::vector<careledger::v1::InvestigationCase>> cases;
  bool granted() const { return cases.has_value(); }
};
absl::StatusOr<CasesRead> ReadCases(ledger::Writer& writer, const careledger::v1::Command& command,
                                    const projections::CaseFilter& filter, ProjectionFeed& feed,
                                    absl::Time deadline);

// One case whole: `command` holds an audit_query of scope CASES whose
// subject is the case id. NOT_FOUND (the query recorded) for no such case.
struct CaseRead {
  careledger::v1::CommandResult recorded;
  std::optional<careledger::v1::InvestigationCase> found;
  bool granted() const { return found.has_value(); }
};
absl::StatusOr<CaseRead> ReadCase(ledger::Writer& writer, const careledger::v1::Command& command,
                                  ProjectionFeed& feed, absl::Time deadline);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_INVESTIGATION_CASE_H_
