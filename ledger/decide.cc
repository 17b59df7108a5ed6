#include "ledger/decide.h"

#include <fmt/format.h>

#include "careledger/v1/roles.pb.h"
#include "events/text.h"
#include "ledger/access_rules.h"
#include "ledger/alert_review_rules.h"
#include "ledger/audit_rules.h"
#include "ledger/case_rules.h"
#include "ledger/directory_rules.h"
#include "ledger/erasure_rules.h"
#include "ledger/input_rules.h"
#include "ledger/limits.h"
#include "ledger/nhs_number.h"
#include "ledger/plan_rules.h"
#include "ledger/worklist_rules.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Command;

// The NHS number a plan command names, or nullptr for other commands.
const std::string* NhsNumberOf(const Command& command) {
  switch (command.body_case()) {
    case Command::kStartPlan:
      return &command.start_plan().nhs_number();
    case Command::kUpdatePlanSection:
      return &command.update_plan_section().nhs_number();
    case Command::kApprovePlan:
      return &command.approve_plan().nhs_number();
    case Command::kSubmitPlan:
      return &command.submit_plan().nhs_number();
    case Command::kDiscardDraft:
      return &command.discard_draft().nhs_number();
    case Command::kReviewPlan:
      return &command.review_plan().nhs_number();
    case Command::kRecordDeath:
      return &command.record_death().nhs_number();
    case Command::kWithdrawConsent:
      return &command.withdraw_consent().nhs_number();
    case Command::kRestrictPlan:
      return &command.restrict_plan().nhs_number();
    case Command::kLiftRestriction:
      return &command.lift_restriction().nhs_number();
    case Command::kAddUrgentCareNote:
      return &command.add_urgent_care_note().nhs_number();
    case Command::kMakePatientRequest:
      return &command.make_patient_request().nhs_number();
    case Command::kResolvePatientRequest:
      return &command.resolve_patient_request().nhs_number();
    case Command::kViewPlan:
      return &command.view_plan().nhs_number();
    case Command::kErasePatient:
      return &command.erase_patient().nhs_number();
    default:
      return nullptr;
  }
}

absl::StatusOr<std::string> DirectoryStreamOf(const Command& command) {
  std::string stream;
  switch (command.body_case()) {
    case Command::kRecordOrganisation:
      stream = OrganisationStream(command.record_organisation().organisation().ods_code());
      break;
    case Command::kRecordUser:
      stream = UserStream(command.record_user().user().user_id());
      break;
    case Command::kChangeUserStatus:
      stream = UserStream(command.change_user_status().user_id());
      break;
    case Command::kRecordDevice:
      stream = DeviceStream(command.record_device().device().device_id());
      break;
    default:
      return absl::InvalidArgumentError("the command has no body");
  }
  if (stream.back() == '/') return absl::InvalidArgumentError("the command names no id");
  return stream;
}

}  // namespace

absl::StatusOr<std::string> CommandStream(const Command& command) {
  if (command.body_case() == Command::BODY_NOT_SET) {
    return absl::InvalidArgumentError("the command has no body");
  }
  if (const std::string* nhs_number = NhsNumberOf(command)) {
    if (absl::Status valid = ValidateNhsNumber(*nhs_number); !valid.ok()) return valid;
    return PatientStream(*nhs_number);
  }
  if (IsAuditCommand(command)) return AuditStream(command.audit_query());
  if (IsAlertReviewCommand(command)) return AlertReviewStream(command.review_alert());
  if (IsCaseCommand(command)) return CaseCommandStream(command);
  if (IsWorklistCommand(command)) return WorklistStream(command.view_worklist());
  return DirectoryStreamOf(command);
}

std::string CommandAction(const Command& command) {
  const auto* field = Command::descriptor()->FindFieldByNumber(command.body_case());
  return field == nullptr ? "none" : field->name();
}

absl::StatusOr<Decision> DecideCommand(const DecisionInput& input, const Command& command) {
  if (!command.refused_credentials().empty()) {
    // The front end refused the caller; the refusal is recorded, in its words.
    return absl::PermissionDeniedError(
        fmt::format("credentials refused: {}", command.refused_credentials()));
  }
  if (absl::Status valid = ValidateCommandInput(command, input.now); !valid.ok()) return valid;
  const bool system = command.actor().role() == careledger::v1::ROLE_SYSTEM;
  if (system && !IsDirectoryCommand(command)) {
    // The operator only bootstraps the directory (ledger/directory_rules.h).
    return absl::PermissionDeniedError(
        "the system role may only bootstrap the directory; a registered user must act");
  }
  if (!system) {
    if (absl::Status ready = CheckPrerequisites(input.directory, command.actor(), input.now);
        !ready.ok()) {
      return ready;
    }
  }
  Decision decision;
  if (IsAuditCommand(command)) {
    absl::StatusOr<careledger::v1::AccessRecorded> access = DecideAuditQuery(input.plan, command);
    if (!access.ok()) return access.status();
    decision.access = *std::move(access);
    return decision;
  }
  if (IsWorklistCommand(command)) {
    absl::StatusOr<careledger::v1::AccessRecorded> access =
        DecideWorklistRead(input.directory, command);
    if (!access.ok()) return access.status();
    decision.access = *std::move(access);
    return decision;
  }
  if (IsAlertReviewCommand(command)) {
    absl::StatusOr<std::vector<careledger::v1::Event>> events = DecideAlertReview(command);
    if (!events.ok()) return events.status();
    decision.events = *std::move(events);
    return decision;
  }
  if (IsCaseCommand(command)) {
    absl::StatusOr<std::vector<careledger::v1::Event>> events = DecideCaseCommand(
        command, CaseState{.stream_seq = input.stream_seq, .closed = input.stream_closed});
    if (!events.ok()) return events.status();
    decision.events = *std::move(events);
    return decision;
  }
  if (IsErasureCommand(command)) {
    absl::StatusOr<careledger::v1::Event> erased =
        DecideErasure(input.plan, input.stream_seq, command, input.now);
    if (!erased.ok()) return erased.status();
    decision.events.push_back(*std::move(erased));
    return decision;
  }
  if (IsDirectoryCommand(command)) {
    absl::StatusOr<std::vector<careledger::v1::Event>> events =
        DecideDirectoryCommand(input.directory, command, input.now);
    if (!events.ok()) return events.status();
    decision.events = *std::move(events);
    return decision;
  }
  absl::StatusOr<PlanDecision> planned = DecidePlanCommand(
      PlanContext{input.plan, input.stream_seq, input.directory, input.now}, command);
  if (!planned.ok()) return planned.status();
  decision.events = std::move(planned->events);
  decision.access = std::move(planned->access);
  decision.view = std::move(planned->view);
  return decision;
}

careledger::v1::AccessRecorded RefusalRecord(const Command& command, const absl::Status& why) {
  careledger::v1::AccessRecorded record;
  record.set_action(CommandAction(command));
  if (absl::StatusOr<std::string> stream = CommandStream(command); stream.ok()) {
    record.set_subject(*stream);
  }
  if (const std::string* nhs_number = NhsNumberOf(command)) record.set_nhs_number(*nhs_number);
  record.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  record.set_reason(std::string(why.message()));
  if (command.has_view_plan()) {
    record.set_view(command.view_plan().view());
    record.set_break_glass_reason(command.view_plan().break_glass_reason());
  }
  if (IsAuditCommand(command)) {
    // Named like a granted query, so a refused one is in the same trails.
    const careledger::v1::AuditQuery& query = command.audit_query();
    record.set_action(AuditAction(query));
    absl::StatusOr<std::string> subject = AuditSubject(query);
    record.set_subject(subject.ok() ? *subject : query.subject());
    if (const std::string patient = AuditedPatient(query); ValidateNhsNumber(patient).ok()) {
      record.set_nhs_number(patient);
    }
    if (query.has_range_from()) *record.mutable_range_from() = query.range_from();
    if (query.has_range_to()) *record.mutable_range_to() = query.range_to();
  }
  if (command.has_view_worklist() && ValidateNhsNumber(command.view_worklist().nhs_number()).ok()) {
    record.set_nhs_number(command.view_worklist().nhs_number());
  }
  if (IsAlertReviewCommand(command) &&
      ValidateNhsNumber(command.review_alert().nhs_number()).ok()) {
    record.set_nhs_number(command.review_alert().nhs_number());
  }
  if (IsCaseCommand(command) && ValidateNhsNumber(CaseNhsNumber(command)).ok()) {
    record.set_nhs_number(CaseNhsNumber(command));
  }
  // The attempt's own words are untrusted: kept escaped and cut, so a
  // hostile or huge value is never signed into the log as it came.
  record.set_subject(events::RecordableText(record.subject(), kMaxRecordedIdLength));
  record.set_nhs_number(events::RecordableText(record.nhs_number(), kMaxRecordedIdLength));
  record.set_reason(events::RecordableText(record.reason(), kMaxRecordedReasonLength));
  record.set_break_glass_reason(
      events::RecordableText(record.break_glass_reason(), kMaxRecordedReasonLength));
  return record;
}

careledger::v1::Actor RecordableActor(const careledger::v1::Actor& actor) {
  careledger::v1::Actor recorded = actor;
  recorded.set_user_id(events::RecordableText(actor.user_id(), kMaxRecordedIdLength));
  recorded.set_organisation(events::RecordableText(actor.organisation(), kMaxRecordedIdLength));
  recorded.set_device_id(events::RecordableText(actor.device_id(), kMaxRecordedIdLength));
  recorded.set_network_address(
      events::RecordableText(actor.network_address(), kMaxRecordedIdLength));
  recorded.set_purpose(events::RecordableText(actor.purpose(), kMaxRecordedIdLength));
  if (careledger::v1::Role_descriptor()->FindValueByNumber(actor.role()) == nullptr) {
    recorded.set_role(careledger::v1::ROLE_UNSPECIFIED);
  }
  return recorded;
}

std::string RecordableCommandId(std::string_view command_id) {
  return events::RecordableText(command_id, kMaxRecordedIdLength);
}

std::string AccessStream(std::string_view node_id) { return fmt::format("access/{}", node_id); }

}  // namespace careledger::ledger
