#include "access/investigation_case.h"

#include <fmt/format.h>

#include <cctype>

#include "access/audit_read.h"
#include "events/sha256.h"
#include "ledger/case_rules.h"

namespace careledger::access {

std::string CaseIdFor(std::string_view command_id) {
  return "case-" + events::HashHex(events::Sha256(command_id)).substr(0, 16);
}

std::string CaseStatusName(careledger::v1::CaseStatus status) {
  switch (status) {
    case careledger::v1::CASE_STATUS_OPEN:
      return "open";
    case careledger::v1::CASE_STATUS_CLOSED:
      return "closed";
    default:
      return "";
  }
}

absl::StatusOr<careledger::v1::CaseStatus> ParseCaseStatus(std::string_view name,
                                                           std::string_view text) {
  if (text.empty()) return careledger::v1::CASE_STATUS_UNSPECIFIED;
  if (text == "open") return careledger::v1::CASE_STATUS_OPEN;
  if (text == "closed") return careledger::v1::CASE_STATUS_CLOSED;
  return absl::InvalidArgumentError(fmt::format("{} '{}': use open or closed", name, text));
}

absl::StatusOr<careledger::v1::CommandResult> ActOnCase(
    ledger::Writer& writer, careledger::v1::Command command,
    const projections::RuleThresholds& thresholds, ProjectionFeed& feed,
    const RecordTime& record_time, absl::Time deadline) {
  if (!ledger::IsCaseCommand(command)) {
    return absl::InvalidArgumentError(
        "a case takes an open_case, add_case_alert, add_case_note or close_case command");
  }
  if (command.actor().role() == careledger::v1::ROLE_AUDITOR) {
    if (absl::Status valid = ledger::ValidateCaseCommand(command); !valid.ok()) return valid;
    if (command.has_add_case_alert()) {
      if (absl::Status advanced = feed.Advance(deadline); !advanced.ok()) return advanced;
      careledger::v1::AddCaseAlert* add = command.mutable_add_case_alert();
      absl::StatusOr<careledger::v1::Alert> alert =
          FindAlert(feed.store(), add->alert_id(), thresholds, record_time);
      if (!alert.ok()) return alert.status();
      add->set_nhs_number(alert->nhs_number());
    }
  }
  return writer.Submit(command);
}

absl::StatusOr<CasesRead> ReadCases(ledger::Writer& writer, const careledger::v1::Command& command,
                                    const projections::CaseFilter& filter, ProjectionFeed& feed,
                                    absl::Time deadline) {
  if (command.audit_query().scope() != careledger::v1::AUDIT_SCOPE_CASES ||
      !command.audit_query().subject().empty()) {
    return absl::InvalidArgumentError("cases are listed by an audit query of scope CASES");
  }
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  CasesRead read;
  read.recorded = *std::move(recorded);
  if (read.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return read;
  absl::StatusOr<std::vector<careledger::v1::InvestigationCase>> cases =
      projections::ListCases(feed.store(), filter);
  if (!cases.ok()) return cases.status();
  read.cases = *std::move(cases);
  return read;
}

absl::StatusOr<CaseRead> ReadCase(ledger::Writer& writer, const careledger::v1::Command& command,
                                  ProjectionFeed& feed, absl::Time deadline) {
  if (command.audit_query().scope() != careledger::v1::AUDIT_SCOPE_CASES ||
      command.audit_query().subject().empty()) {
    return absl::InvalidArgumentError("a case is read by an audit query of scope CASES naming it");
  }
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  CaseRead read;
  read.recorded = *std::move(recorded);
  if (read.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return read;
  absl::StatusOr<careledger::v1::InvestigationCase> found =
      projections::GetCase(feed.store(), command.audit_query().subject());
  if (!found.ok()) return found.status();
  read.found = *std::move(found);
  return read;
}

}  // namespace careledger::access
