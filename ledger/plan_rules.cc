#include "ledger/plan_rules.h"

#include <fmt/format.h>

#include "events/envelope.h"
#include "events/plan_sections.h"
#include "events/sha256.h"
#include "ledger/nhs_number.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Command;
using careledger::v1::Event;

bool MayEdit(careledger::v1::Role role) {
  return role == careledger::v1::ROLE_CLINICIAN || role == careledger::v1::ROLE_ADMINISTRATOR;
}

absl::Status ValidateConsent(const careledger::v1::Consent& consent) {
  if (consent.basis() == careledger::v1::CONSENT_BASIS_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "a plan starts only with consent: say who consented (patient, lasting power of attorney "
        "or best-interest decision)");
  }
  if (consent.basis() == careledger::v1::CONSENT_BASIS_BEST_INTEREST &&
      consent.justification().empty()) {
    return absl::InvalidArgumentError("a best-interest decision needs its justification");
  }
  if (!consent.has_obtained_on() || consent.obtained_on().year() == 0) {
    return absl::InvalidArgumentError("consent needs the date it was obtained");
  }
  return absl::OkStatus();
}

const std::string& NhsNumberOf(const Command& command) {
  switch (command.body_case()) {
    case Command::kStartPlan:
      return command.start_plan().nhs_number();
    case Command::kUpdatePlanSection:
      return command.update_plan_section().nhs_number();
    case Command::kApprovePlan:
      return command.approve_plan().nhs_number();
    case Command::BODY_NOT_SET:
      break;
  }
  static const std::string kNone;
  return kNone;
}

absl::StatusOr<std::vector<Event>> DecideStart(const PlanState& state, const Command& command) {
  if (state.started) return absl::FailedPreconditionError("this patient already has a plan");
  if (absl::Status consent = ValidateConsent(command.start_plan().consent()); !consent.ok()) {
    return consent;
  }
  Event event;
  event.mutable_plan_started()->set_nhs_number(command.start_plan().nhs_number());
  *event.mutable_plan_started()->mutable_consent() = command.start_plan().consent();
  return std::vector<Event>{event};
}

absl::StatusOr<std::vector<Event>> DecideUpdate(const PlanState& state, const Command& command) {
  if (!state.started) return absl::FailedPreconditionError("no plan has been started");
  const careledger::v1::PlanSectionValue& value = command.update_plan_section().value();
  if (events::SectionName(value).empty()) {
    return absl::InvalidArgumentError("the update names no section");
  }
  if (value.has_consent()) {
    if (absl::Status consent = ValidateConsent(value.consent()); !consent.ok()) return consent;
  }
  Event event;
  careledger::v1::PlanSectionUpdated* updated = event.mutable_plan_section_updated();
  *updated->mutable_previous() = events::GetSection(state.draft, value);
  *updated->mutable_value() = value;
  return std::vector<Event>{event};
}

absl::StatusOr<std::vector<Event>> DecideApprove(const PlanState& state, const Command& command) {
  if (command.actor().role() != careledger::v1::ROLE_CLINICIAN) {
    return absl::PermissionDeniedError(
        "only a registered clinician may approve (publish) a plan; an administrator submits it "
        "to a clinician");
  }
  if (!state.started) return absl::FailedPreconditionError("no plan has been started");
  if (!state.draft_pending) {
    return absl::FailedPreconditionError("the working draft has no changes to publish");
  }
  Event event;
  event.mutable_plan_approved()->set_version(state.published_version + 1);
  event.mutable_plan_approved()->set_draft_hash(
      events::HashBytes(events::Sha256(events::SerializeDeterministic(state.draft))));
  return std::vector<Event>{event};
}

}  // namespace

absl::StatusOr<std::string> CommandStream(const Command& command) {
  if (command.body_case() == Command::BODY_NOT_SET) {
    return absl::InvalidArgumentError("the command has no body");
  }
  const std::string& nhs_number = NhsNumberOf(command);
  if (absl::Status valid = ValidateNhsNumber(nhs_number); !valid.ok()) return valid;
  return PatientStream(nhs_number);
}

absl::StatusOr<std::vector<Event>> DecidePlanCommand(const PlanState& state,
                                                     const Command& command) {
  if (!MayEdit(command.actor().role())) {
    return absl::PermissionDeniedError(fmt::format(
        "role {} may not change care plans", careledger::v1::Role_Name(command.actor().role())));
  }
  switch (command.body_case()) {
    case Command::kStartPlan:
      return DecideStart(state, command);
    case Command::kUpdatePlanSection:
      return DecideUpdate(state, command);
    case Command::kApprovePlan:
      return DecideApprove(state, command);
    case Command::BODY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("the command has no body");
}

void ApplyPlanEvent(const Event& event, PlanState* state) {
  switch (event.body_case()) {
    case Event::kPlanStarted:
      state->started = true;
      state->draft_pending = true;
      *state->draft.mutable_consent() = event.plan_started().consent();
      state->draft.mutable_demographics()->set_nhs_number(event.plan_started().nhs_number());
      break;
    case Event::kPlanSectionUpdated:
      // The event was decided against this state, so the section is known.
      (void)events::SetSection(event.plan_section_updated().value(), &state->draft);
      state->draft_pending = true;
      break;
    case Event::kPlanApproved:
      state->published_version = event.plan_approved().version();
      state->draft_pending = false;
      break;
    default:
      break;
  }
}

}  // namespace careledger::ledger
