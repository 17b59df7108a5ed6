// Auditing the audit trail: who may query it, and the access record each
// query leaves (auditors are audited).
//
// Only the CMC team (ROLE_AUDITOR), meeting the access prerequisites
// (ledger/access_rules.h, checked before), may run an AuditQuery; every other
// role is refused (PERMISSION_DENIED, recorded like any refusal). A granted
// query appends no plan or directory event, only its AccessRecorded on the
// deciding node's access stream, before anything is shown:
//
//   scope          action               subject                   nhs_number
//   PATIENT        audit_patient        patient/<nhs>             <nhs>
//   USER           audit_user           directory/user/<id>
//   ORGANISATION   audit_organisation   directory/org/<ods>
//   ACCESS         audit_access         log/<partition>/<offset>  the examined record's patient
//   ALERTS         audit_alerts         audit/alerts[/<rule>]
//   STATISTICS     audit_statistics     audit/statistics[/<ods>]
//   MIGRATION      audit_migration_report  audit/migration  (what would be left behind)
//                  audit_migration_export  with for_export (the UCP migration export)
//
// A STATISTICS query with `unsuppressed` (small counts shown as they are,
// for the CMC team's own use) is recorded as "audit_statistics_unsuppressed";
// `unsuppressed` on any other scope is INVALID_ARGUMENT.
//
// with the time range asked for, and `restricted` when the patient's plan is
// restricted. Restriction does not stop the CMC team: investigating access
// to a restricted plan is what the trail is for.
//
// An export (`for_export`, `careledger audit export`) of a PATIENT, USER or
// ORGANISATION trail is recorded as "audit_export_<patient|user|organisation>"
// with the same subject, patient and range; of any other scope it is
// INVALID_ARGUMENT.
#ifndef CARELEDGER_LEDGER_AUDIT_RULES_H_
#define CARELEDGER_LEDGER_AUDIT_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "careledger/v1/access.pb.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/plan_state.pb.h"

namespace careledger::ledger {

bool IsAuditCommand(const careledger::v1::Command& command);

// The recorded action of a query of `scope` ("audit_patient", ...).
std::string AuditAction(careledger::v1::AuditScope scope);
// The recorded action of `query`: AuditAction(scope), or for an export
// (`for_export`) "audit_export_patient", "audit_export_user" or
// "audit_export_organisation", or "audit_statistics_unsuppressed".
std::string AuditAction(const careledger::v1::AuditQuery& query);

// The subject of the table above. INVALID_ARGUMENT for a query with no
// scope, no subject (ALERTS: optional, a rule's name; STATISTICS: optional,
// an ODS code of upper-case letters and digits), an invalid NHS
// number, or an ACCESS subject that is not "<partition>/<offset>".
absl::StatusOr<std::string> AuditSubject(const careledger::v1::AuditQuery& query);

// The patient a query concerns: the subject of a PATIENT query, the
// nhs_number of an ACCESS query; "" for the others.
std::string AuditedPatient(const careledger::v1::AuditQuery& query);

// The stream a query is decided against: the patient's plan stream when it
// concerns a patient (for the restriction flag), else its subject.
absl::StatusOr<std::string> AuditStream(const careledger::v1::AuditQuery& query);

// Decides an AuditQuery whose actor met the access prerequisites. `plan` is
// the audited patient's (empty when none). Returns its access record, or
// INVALID_ARGUMENT / PERMISSION_DENIED.
absl::StatusOr<careledger::v1::AccessRecorded> DecideAuditQuery(
    const careledger::v1::PlanState& plan, const careledger::v1::Command& command);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_AUDIT_RULES_H_
