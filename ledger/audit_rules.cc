#include "ledger/audit_rules.h"

#include <fmt/format.h>

#include <charconv>

#include "ledger/case_rules.h"
#include "ledger/directory.h"
#include "ledger/nhs_number.h"

namespace careledger::ledger {
namespace {

using careledger::v1::AuditQuery;

// True when `text` is a decimal number that fits `value`.
template <typename Integer>
bool ParseNumber(std::string_view text, Integer* value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size() && *value >= 0;
}

absl::Status CheckRange(const AuditQuery& query) {
  if (query.has_range_from() && query.has_range_to()) {
    const auto& from = query.range_from();
    const auto& to = query.range_to();
    if (from.seconds() > to.seconds() ||
        (from.seconds() == to.seconds() && from.nanos() >= to.nanos())) {
      return absl::InvalidArgumentError("the audit time range is empty: from must be before to");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsAuditCommand(const careledger::v1::Command& command) { return command.has_audit_query(); }

std::string AuditAction(careledger::v1::AuditScope scope) {
  switch (scope) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      return "audit_patient";
    case careledger::v1::AUDIT_SCOPE_USER:
      return "audit_user";
    case careledger::v1::AUDIT_SCOPE_ORGANISATION:
      return "audit_organisation";
    case careledger::v1::AUDIT_SCOPE_ACCESS:
      return "audit_access";
    case careledger::v1::AUDIT_SCOPE_ALERTS:
      return "audit_alerts";
    case careledger::v1::AUDIT_SCOPE_STATISTICS:
      return "audit_statistics";
    case careledger::v1::AUDIT_SCOPE_MIGRATION:
      return "audit_migration_report";
    case careledger::v1::AUDIT_SCOPE_INTEGRITY:
      return "audit_integrity";
    case careledger::v1::AUDIT_SCOPE_CASES:
      return "audit_cases";
    default:
      return "audit_query";
  }
}

std::string AuditAction(const AuditQuery& query) {
  if (query.scope() == careledger::v1::AUDIT_SCOPE_STATISTICS && query.unsuppressed()) {
    return "audit_statistics_unsuppressed";
  }
  if (query.scope() == careledger::v1::AUDIT_SCOPE_MIGRATION && query.for_export()) {
    return "audit_migration_export";
  }
  if (!query.for_export()) return AuditAction(query.scope());
  return fmt::format("audit_export_{}", AuditAction(query.scope()).substr(6));
}

absl::StatusOr<std::string> AuditSubject(const AuditQuery& query) {
  if (query.scope() == careledger::v1::AUDIT_SCOPE_ALERTS) {
    // Every rule, or one: a rule's name (a-z and '_').
    if (query.subject().find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      return absl::InvalidArgumentError(
          fmt::format("'{}' is not an investigation rule's name", query.subject()));
    }
    return query.subject().empty() ? std::string("audit/alerts")
                                   : fmt::format("audit/alerts/{}", query.subject());
  }
  if (query.scope() == careledger::v1::AUDIT_SCOPE_STATISTICS) {
    // Every organisation, or one: an ODS code (letters and digits).
    if (query.subject().find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
        std::string::npos) {
      return absl::InvalidArgumentError(
          fmt::format("'{}' is not an ODS code (upper-case letters and digits)", query.subject()));
    }
    return query.subject().empty() ? std::string("audit/statistics")
                                   : fmt::format("audit/statistics/{}", query.subject());
  }
  if (query.scope() == careledger::v1::AUDIT_SCOPE_MIGRATION) {
    // The export is of every plan that may migrate: no subject.
    if (!query.subject().empty()) {
      return absl::InvalidArgumentError("the migration export names no subject");
    }
    return std::string("audit/migration");
  }
  if (query.scope() == careledger::v1::AUDIT_SCOPE_CASES) {
    // Every case, or one: a case id (ledger/case_rules.h).
    if (query.subject().empty()) return std::string("audit/cases");
    if (absl::Status valid = ValidateCaseId(query.subject()); !valid.ok()) return valid;
    return CaseStream(query.subject());
  }
  if (query.scope() == careledger::v1::AUDIT_SCOPE_INTEGRITY) {
    // The whole log: no subject.
    if (!query.subject().empty()) {
      return absl::InvalidArgumentError("an integrity check has no subject");
    }
    return std::string("audit/integrity");
  }
  if (query.subject().empty()) {
    return absl::InvalidArgumentError("an audit query needs a subject");
  }
  switch (query.scope()) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      if (absl::Status valid = ValidateNhsNumber(query.subject()); !valid.ok()) return valid;
      return PatientStream(query.subject());
    case careledger::v1::AUDIT_SCOPE_USER:
      return UserStream(query.subject());
    case careledger::v1::AUDIT_SCOPE_ORGANISATION:
      return OrganisationStream(query.subject());
    case careledger::v1::AUDIT_SCOPE_ACCESS: {
      const std::string& subject = query.subject();
      const std::size_t slash = subject.find('/');
      std::int32_t partition = 0;
      std::int64_t offset = 0;
      if (slash == std::string::npos ||
          !ParseNumber(std::string_view(subject).substr(0, slash), &partition) ||
          !ParseNumber(std::string_view(subject).substr(slash + 1), &offset)) {
        return absl::InvalidArgumentError(fmt::format(
            "an access audit names a record as '<partition>/<offset>', not '{}'", subject));
      }
      if (!query.nhs_number().empty()) {
        if (absl::Status valid = ValidateNhsNumber(query.nhs_number()); !valid.ok()) return valid;
      }
      return fmt::format("log/{}/{}", partition, offset);
    }
    default:
      return absl::InvalidArgumentError(
          "an audit query needs a scope: patient, user, organisation or access");
  }
}

std::string AuditedPatient(const AuditQuery& query) {
  switch (query.scope()) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      return query.subject();
    case careledger::v1::AUDIT_SCOPE_ACCESS:
      return query.nhs_number();
    default:
      return "";
  }
}

absl::StatusOr<std::string> AuditStream(const AuditQuery& query) {
  absl::StatusOr<std::string> subject = AuditSubject(query);
  if (!subject.ok()) return subject.status();
  const std::string patient = AuditedPatient(query);
  return patient.empty() ? *subject : PatientStream(patient);
}

absl::StatusOr<careledger::v1::AccessRecorded> DecideAuditQuery(
    const careledger::v1::PlanState& plan, const careledger::v1::Command& command) {
  const AuditQuery& query = command.audit_query();
  if (command.actor().role() != careledger::v1::ROLE_AUDITOR) {
    return absl::PermissionDeniedError(
        fmt::format("role {} may not {}: only the CMC team audits",
                    careledger::v1::Role_Name(command.actor().role()), AuditAction(query)));
  }
  absl::StatusOr<std::string> subject = AuditSubject(query);
  if (!subject.ok()) return subject.status();
  if (absl::Status range = CheckRange(query); !range.ok()) return range;
  if (query.for_export() && query.scope() != careledger::v1::AUDIT_SCOPE_MIGRATION &&
      query.scope() != careledger::v1::AUDIT_SCOPE_PATIENT &&
      query.scope() != careledger::v1::AUDIT_SCOPE_USER &&
      query.scope() != careledger::v1::AUDIT_SCOPE_ORGANISATION) {
    return absl::InvalidArgumentError(
        "only a patient's, a user's or an organisation's trail is exported");
  }
  if (query.unsuppressed() && query.scope() != careledger::v1::AUDIT_SCOPE_STATISTICS) {
    return absl::InvalidArgumentError("only statistics are shown unsuppressed");
  }
  careledger::v1::AccessRecorded record;
  record.set_action(AuditAction(query));
  record.set_subject(*subject);
  record.set_nhs_number(AuditedPatient(query));
  record.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  record.set_restricted(plan.has_restriction());
  if (query.has_range_from()) *record.mutable_range_from() = query.range_from();
  if (query.has_range_to()) *record.mutable_range_to() = query.range_to();
  return record;
}

}  // namespace careledger::ledger
