#include "ledger/plan_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "events/envelope.h"
#include "events/plan_fold.h"
#include "events/plan_sections.h"
#include "events/sha256.h"
#include "events/text.h"
#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/publish_rules.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Command;
using careledger::v1::Event;
using careledger::v1::PlanState;
using careledger::v1::Role;

constexpr Role kClinician = careledger::v1::ROLE_CLINICIAN;
constexpr Role kAdministrator = careledger::v1::ROLE_ADMINISTRATOR;
constexpr Role kUrgentCare = careledger::v1::ROLE_URGENT_CARE;
constexpr Role kPatient = careledger::v1::ROLE_PATIENT;
constexpr Role kProxy = careledger::v1::ROLE_PROXY_VIEWER;
constexpr Role kAuditor = careledger::v1::ROLE_AUDITOR;

constexpr Role kEditors[] = {kClinician, kAdministrator};
constexpr Role kClinicians[] = {kClinician};
constexpr Role kUrgentCareOnly[] = {kUrgentCare};
constexpr Role kMyCmc[] = {kPatient, kProxy};
constexpr Role kReaders[] = {kClinician, kAdministrator, kUrgentCare, kPatient, kProxy, kAuditor};

// The table in plan_rules.h: which roles may ask for each plan command.
std::span<const Role> AllowedRoles(Command::BodyCase body) {
  switch (body) {
    case Command::kStartPlan:
    case Command::kUpdatePlanSection:
    case Command::kSubmitPlan:
    case Command::kDiscardDraft:
    case Command::kRecordDeath:
    case Command::kWithdrawConsent:
    case Command::kResolvePatientRequest:
      return kEditors;
    case Command::kApprovePlan:
    case Command::kReviewPlan:
    case Command::kRestrictPlan:
    case Command::kLiftRestriction:
      return kClinicians;
    case Command::kAddUrgentCareNote:
      return kUrgentCareOnly;
    case Command::kMakePatientRequest:
      return kMyCmc;
    case Command::kViewPlan:
      return kReaders;
    default:
      return {};
  }
}

absl::Status CheckRole(const Command& command) {
  const std::span<const Role> allowed = AllowedRoles(command.body_case());
  const Role role = command.actor().role();
  if (std::find(allowed.begin(), allowed.end(), role) != allowed.end()) return absl::OkStatus();
  if (command.body_case() == Command::kApprovePlan && role == kAdministrator) {
    return absl::PermissionDeniedError(
        "only a registered clinician may approve (publish) a plan; an administrator submits it "
        "to a clinician");
  }
  return absl::PermissionDeniedError(
      fmt::format("role {} may not {}", careledger::v1::Role_Name(role), CommandAction(command)));
}

// Changes refused by the plan's state: not started, closed or withdrawn.
absl::Status CheckOpen(const PlanState& plan) {
  switch (plan.lifecycle()) {
    case careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED:
      return absl::FailedPreconditionError("no plan has been started for this patient");
    case careledger::v1::PLAN_LIFECYCLE_CLOSED:
      return absl::FailedPreconditionError(
          "the plan is closed: the patient's death was recorded; it takes no more changes");
    case careledger::v1::PLAN_LIFECYCLE_WITHDRAWN:
      return absl::FailedPreconditionError(
          "consent was withdrawn: the plan is removed from view and takes no more changes");
    case careledger::v1::PLAN_LIFECYCLE_ERASED:
      return absl::FailedPreconditionError(
          "the patient was erased: the plan's content was destroyed and it takes no more changes");
    default:
      return absl::OkStatus();
  }
}

absl::Status ValidateConsent(const careledger::v1::Consent& consent) {
  if (consent.basis() == careledger::v1::CONSENT_BASIS_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "a plan starts only with consent: say who consented (patient, lasting power of attorney "
        "or best-interest decision)");
  }
  if (consent.basis() != careledger::v1::CONSENT_BASIS_PATIENT && consent.justification().empty()) {
    return absl::InvalidArgumentError(
        "consent given on the patient's behalf (best-interest decision or lasting power of "
        "attorney) needs its justification");
  }
  if (!IsValidDate(consent.obtained_on())) {
    return absl::InvalidArgumentError("consent needs the date it was obtained");
  }
  return absl::OkStatus();
}

Event With(auto set_body) {
  Event event;
  set_body(event);
  return event;
}

PlanDecision Single(Event event) {
  PlanDecision decision;
  decision.events.push_back(std::move(event));
  return decision;
}

absl::StatusOr<PlanDecision> DecideStart(const PlanContext& context, const Command& command) {
  if (context.plan.lifecycle() != careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) {
    return absl::FailedPreconditionError("this patient already has a plan");
  }
  if (absl::Status consent = ValidateConsent(command.start_plan().consent()); !consent.ok()) {
    return consent;
  }
  return Single(With([&](Event& e) {
    e.mutable_plan_started()->set_nhs_number(command.start_plan().nhs_number());
    *e.mutable_plan_started()->mutable_consent() = command.start_plan().consent();
  }));
}

absl::Status ValidateSection(const PlanContext& context,
                             const careledger::v1::PlanSectionValue& value) {
  if (events::SectionName(value).empty()) {
    return absl::InvalidArgumentError("the update names no section");
  }
  if (value.has_consent()) return ValidateConsent(value.consent());
  if (value.has_demographics() && value.demographics().nhs_number() != context.plan.nhs_number()) {
    return absl::InvalidArgumentError(
        "demographics.nhs_number must be the plan's own NHS number: a plan never moves to "
        "another patient");
  }
  if (value.has_medical_background() && value.medical_background().has_who_performance_status()) {
    const int status = value.medical_background().who_performance_status();
    if (status < 0 || status > 4) {
      return absl::InvalidArgumentError("the WHO performance status is 0 to 4");
    }
  }
  if (value.has_mycmc()) {
    for (const careledger::v1::ProxyViewer& proxy : value.mycmc().proxy_viewers()) {
      const DirectoryUser* user = context.directory.FindUser(proxy.user_id());
      if (user == nullptr || user->user.role() != kProxy) {
        return absl::InvalidArgumentError(
            fmt::format("proxy viewer {} is not registered as a proxy viewer", proxy.user_id()));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PlanDecision> DecideUpdate(const PlanContext& context, const Command& command) {
  const careledger::v1::PlanSectionValue& value = command.update_plan_section().value();
  if (absl::Status valid = ValidateSection(context, value); !valid.ok()) return valid;
  return Single(With([&](Event& e) {
    careledger::v1::PlanSectionUpdated* updated = e.mutable_plan_section_updated();
    *updated->mutable_previous() = events::GetSection(context.plan.draft(), value);
    *updated->mutable_value() = value;
  }));
}

absl::Status RequireDraft(const PlanState& plan) {
  if (!plan.draft_pending()) {
    return absl::FailedPreconditionError(
        "the plan has no working draft: it is published as it stands");
  }
  return absl::OkStatus();
}

absl::StatusOr<PlanDecision> DecideSubmit(const PlanContext& context, const Command& command) {
  if (absl::Status draft = RequireDraft(context.plan); !draft.ok()) return draft;
  const careledger::v1::SubmitPlan& submit = command.submit_plan();
  if (submit.to_user().empty() && submit.to_organisation().empty()) {
    return absl::InvalidArgumentError("say who should approve it: a clinician or an organisation");
  }
  if (!submit.to_user().empty()) {
    const DirectoryUser* to = context.directory.FindUser(submit.to_user());
    if (to == nullptr || to->user.role() != kClinician) {
      return absl::InvalidArgumentError(
          fmt::format("{} is not a registered clinician", submit.to_user()));
    }
  }
  if (!submit.to_organisation().empty() &&
      context.directory.FindOrganisation(submit.to_organisation()) == nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("organisation {} is not registered", submit.to_organisation()));
  }
  return Single(With([&](Event& e) {
    e.mutable_plan_submitted()->set_to_user(submit.to_user());
    e.mutable_plan_submitted()->set_to_organisation(submit.to_organisation());
    e.mutable_plan_submitted()->set_note(submit.note());
  }));
}

absl::StatusOr<PlanDecision> DecideApprove(const PlanContext& context, const Command& /*command*/) {
  if (absl::Status draft = RequireDraft(context.plan); !draft.ok()) return draft;
  PlanDecision decision;
  careledger::v1::CarePlan to_publish = context.plan.draft();
  const absl::CivilDay today = Today(context.now);
  if (!to_publish.review().has_review_on()) {
    // The guide's default: review in three months. Recorded as an edit of
    // its own, so the published content is exactly the folded draft.
    careledger::v1::PlanSectionValue review;
    *review.mutable_review() = to_publish.review();
    *review.mutable_review()->mutable_review_on() =
        FromCivilDay(AddMonths(today, kDefaultReviewMonths));
    decision.events.push_back(With([&](Event& e) {
      careledger::v1::PlanSectionUpdated* updated = e.mutable_plan_section_updated();
      *updated->mutable_previous() = events::GetSection(to_publish, review);
      *updated->mutable_value() = review;
    }));
    *to_publish.mutable_review() = review.review();
  }
  if (absl::Status publishable = CheckPublishable(to_publish, context.directory, today);
      !publishable.ok()) {
    return publishable;
  }
  decision.events.push_back(With([&](Event& e) {
    e.mutable_plan_approved()->set_version(context.plan.published_version() + 1);
    e.mutable_plan_approved()->set_draft_hash(
        events::HashBytes(events::PlanContentHash(to_publish)));
  }));
  return decision;
}

absl::StatusOr<PlanDecision> DecideDiscard(const PlanContext& context, const Command& command) {
  if (absl::Status draft = RequireDraft(context.plan); !draft.ok()) return draft;
  if (context.plan.published_version() == 0) {
    return absl::FailedPreconditionError(
        "a plan that was never published has no version to go back to: keep editing it, or "
        "record that consent was withdrawn");
  }
  return Single(With([&](Event& e) {
    e.mutable_draft_discarded()->set_reason(command.discard_draft().reason());
  }));
}

absl::StatusOr<PlanDecision> DecideReview(const PlanContext& context, const Command& command) {
  if (context.plan.published_version() == 0) {
    return absl::FailedPreconditionError("only a published plan is reviewed");
  }
  const absl::CivilDay today = Today(context.now);
  careledger::v1::Date next = command.review_plan().next_review_on();
  if (!command.review_plan().has_next_review_on()) {
    next = FromCivilDay(AddMonths(today, kDefaultReviewMonths));
  } else if (!IsValidDate(next)) {
    return absl::InvalidArgumentError("next_review_on is not a date");
  }
  if (ToCivilDay(next) <= today || ToCivilDay(next) > AddMonths(today, kMaxReviewMonths)) {
    return absl::InvalidArgumentError("the next review must be after today and within a year");
  }
  return Single(With([&](Event& e) {
    *e.mutable_plan_reviewed()->mutable_next_review_on() = next;
    e.mutable_plan_reviewed()->set_note(command.review_plan().note());
  }));
}

bool SamePlace(std::string_view a, std::string_view b) {
  const auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  a = trim(a);
  b = trim(b);
  return !a.empty() && a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

careledger::v1::PreferredPlaceMet PlaceMet(const PlanState& plan, std::string_view place) {
  const careledger::v1::PlaceOfCare& preferred =
      (plan.published_version() > 0 ? plan.published() : plan.draft())
          .preferences()
          .place_of_death();
  if (preferred.not_yet_discussed() || preferred.first_preference().empty()) {
    return careledger::v1::PREFERRED_PLACE_MET_NOT_DISCUSSED;
  }
  if (SamePlace(place, preferred.first_preference()))
    return careledger::v1::PREFERRED_PLACE_MET_FIRST;
  if (SamePlace(place, preferred.second_preference())) {
    return careledger::v1::PREFERRED_PLACE_MET_SECOND;
  }
  return careledger::v1::PREFERRED_PLACE_MET_NOT_MET;
}

absl::StatusOr<PlanDecision> DecideDeath(const PlanContext& context, const Command& command) {
  const careledger::v1::RecordDeath& death = command.record_death();
  if (!IsValidDate(death.died_on()) || ToCivilDay(death.died_on()) > Today(context.now)) {
    return absl::InvalidArgumentError("the date of death must be a date no later than today");
  }
  if (death.place().empty()) return absl::InvalidArgumentError("say where the patient died");
  return Single(With([&](Event& e) {
    *e.mutable_death_recorded()->mutable_died_on() = death.died_on();
    e.mutable_death_recorded()->set_place(death.place());
    e.mutable_death_recorded()->set_preferred_place_met(PlaceMet(context.plan, death.place()));
  }));
}

absl::StatusOr<PlanDecision> DecideWithdraw(const PlanContext& context, const Command& command) {
  careledger::v1::Date on = command.withdraw_consent().withdrawn_on();
  if (!command.withdraw_consent().has_withdrawn_on()) {
    on = FromCivilDay(Today(context.now));
  } else if (!IsValidDate(on) || ToCivilDay(on) > Today(context.now)) {
    return absl::InvalidArgumentError("withdrawn_on must be a date no later than today");
  }
  return Single(With([&](Event& e) {
    *e.mutable_consent_withdrawn()->mutable_withdrawn_on() = on;
    e.mutable_consent_withdrawn()->set_note(command.withdraw_consent().note());
  }));
}

absl::StatusOr<PlanDecision> DecideRestrict(const PlanContext& context, const Command& command) {
  const careledger::v1::RestrictPlan& restrict = command.restrict_plan();
  if (restrict.reason().empty()) {
    return absl::InvalidArgumentError("restricting a plan needs a reason: it is rarely right");
  }
  for (const std::string& user : restrict.allowed_users()) {
    if (context.directory.FindUser(user) == nullptr) {
      return absl::InvalidArgumentError(fmt::format("user {} is not registered", user));
    }
  }
  return Single(With([&](Event& e) {
    for (const std::string& user : restrict.allowed_users()) {
      e.mutable_restriction_set()->add_allowed_users(user);
    }
    e.mutable_restriction_set()->set_reason(restrict.reason());
  }));
}

absl::StatusOr<PlanDecision> DecideLift(const PlanContext& context, const Command& command) {
  if (!context.plan.has_restriction()) {
    return absl::FailedPreconditionError("the plan is not restricted");
  }
  return Single(With([&](Event& e) {
    e.mutable_restriction_lifted()->set_reason(command.lift_restriction().reason());
  }));
}

absl::StatusOr<PlanDecision> DecideNote(const PlanContext& context, const Command& command) {
  if (context.plan.published_version() == 0) {
    return absl::FailedPreconditionError("urgent care notes are added to published plans only");
  }
  const std::string& text = command.add_urgent_care_note().text();
  if (text.empty()) return absl::InvalidArgumentError("the note is empty");
  const std::size_t length = events::CountCharacters(text).value_or(text.size());
  if (length > kMaxNoteLength) {
    return absl::InvalidArgumentError(
        fmt::format("a note is at most {} characters (this one has {})", kMaxNoteLength, length));
  }
  return Single(With([&](Event& e) { e.mutable_urgent_care_note_added()->set_text(text); }));
}

// A patient may ask about their own record; a proxy about the records that
// name them as a proxy viewer.
absl::Status CheckMyCmcSubject(const PlanContext& context, const Command& command,
                               const std::string& nhs_number) {
  const DirectoryUser* user = context.directory.FindUser(command.actor().user_id());
  if (command.actor().role() == kPatient) {
    if (user == nullptr || user->user.nhs_number() != nhs_number) {
      return absl::PermissionDeniedError("a patient may only see or ask about their own plan");
    }
    return absl::OkStatus();
  }
  const auto& proxies = context.plan.published().mycmc().proxy_viewers();
  const bool listed = std::any_of(proxies.begin(), proxies.end(), [&](const auto& proxy) {
    return proxy.user_id() == command.actor().user_id();
  });
  if (!listed) {
    return absl::PermissionDeniedError("this proxy viewer is not named on the patient's plan");
  }
  return absl::OkStatus();
}

absl::StatusOr<PlanDecision> DecideRequest(const PlanContext& context, const Command& command) {
  const careledger::v1::MakePatientRequest& request = command.make_patient_request();
  if (request.text().empty() ||
      events::CountCharacters(request.text()).value_or(request.text().size()) > kMaxRequestLength) {
    return absl::InvalidArgumentError(
        fmt::format("a request says what is wanted, in at most {} characters", kMaxRequestLength));
  }
  if (request.kind() == careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN) {
    if (command.actor().role() != kPatient) {
      return absl::PermissionDeniedError("only the patient may ask for a plan to be started");
    }
    if (context.plan.lifecycle() != careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) {
      return absl::FailedPreconditionError("this patient already has a plan");
    }
  } else if (request.kind() == careledger::v1::PATIENT_REQUEST_KIND_CHANGE) {
    if (absl::Status open = CheckOpen(context.plan); !open.ok()) return open;
    if (context.plan.published_version() == 0 || !context.plan.published().mycmc().subscribed()) {
      return absl::FailedPreconditionError(
          "change requests need a published plan subscribed to myCMC");
    }
  } else {
    return absl::InvalidArgumentError("say what kind of request it is");
  }
  if (absl::Status subject =
          CheckMyCmcSubject(context, command, command.make_patient_request().nhs_number());
      !subject.ok()) {
    return subject;
  }
  return Single(With([&](Event& e) {
    e.mutable_patient_request_made()->set_kind(request.kind());
    e.mutable_patient_request_made()->set_text(request.text());
  }));
}

absl::StatusOr<PlanDecision> DecideResolve(const PlanContext& context, const Command& command) {
  const careledger::v1::ResolvePatientRequest& resolve = command.resolve_patient_request();
  if (resolve.resolution() == careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED) {
    return absl::InvalidArgumentError("say whether the request is resolved or declined");
  }
  if (events::FindOpenRequest(context.plan, resolve.request_id()) == nullptr) {
    return absl::FailedPreconditionError(
        fmt::format("there is no open request {} on this plan", resolve.request_id()));
  }
  return Single(With([&](Event& e) {
    e.mutable_patient_request_resolved()->set_request_id(resolve.request_id());
    e.mutable_patient_request_resolved()->set_resolution(resolve.resolution());
    e.mutable_patient_request_resolved()->set_note(resolve.note());
  }));
}

// Commands that need an open plan (the others check their own state).
bool NeedsOpenPlan(Command::BodyCase body) {
  return body != Command::kStartPlan && body != Command::kMakePatientRequest &&
         body != Command::kViewPlan && body != Command::kResolvePatientRequest;
}

}  // namespace

bool IsPlanCommand(const Command& command) { return !AllowedRoles(command.body_case()).empty(); }

bool RestrictionAllows(const PlanState& plan, const std::string& user_id) {
  if (!plan.has_restriction()) return true;
  const auto& allowed = plan.restriction().allowed_users();
  return std::find(allowed.begin(), allowed.end(), user_id) != allowed.end();
}

absl::StatusOr<PlanDecision> DecidePlanCommand(const PlanContext& context, const Command& command) {
  if (absl::Status role = CheckRole(command); !role.ok()) return role;
  if (command.body_case() == Command::kViewPlan) return DecideView(context, command);
  if (!RestrictionAllows(context.plan, command.actor().user_id()) &&
      command.actor().role() != kPatient && command.actor().role() != kProxy) {
    return absl::PermissionDeniedError(
        "the plan is restricted to named users; others may only read it by breaking the glass");
  }
  if (NeedsOpenPlan(command.body_case())) {
    if (absl::Status open = CheckOpen(context.plan); !open.ok()) return open;
  } else if (command.body_case() == Command::kResolvePatientRequest &&
             (context.plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_CLOSED ||
              context.plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_WITHDRAWN ||
              context.plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_ERASED)) {
    return CheckOpen(context.plan);
  }
  switch (command.body_case()) {
    case Command::kStartPlan:
      return DecideStart(context, command);
    case Command::kUpdatePlanSection:
      return DecideUpdate(context, command);
    case Command::kSubmitPlan:
      return DecideSubmit(context, command);
    case Command::kApprovePlan:
      return DecideApprove(context, command);
    case Command::kDiscardDraft:
      return DecideDiscard(context, command);
    case Command::kReviewPlan:
      return DecideReview(context, command);
    case Command::kRecordDeath:
      return DecideDeath(context, command);
    case Command::kWithdrawConsent:
      return DecideWithdraw(context, command);
    case Command::kRestrictPlan:
      return DecideRestrict(context, command);
    case Command::kLiftRestriction:
      return DecideLift(context, command);
    case Command::kAddUrgentCareNote:
      return DecideNote(context, command);
    case Command::kMakePatientRequest:
      return DecideRequest(context, command);
    case Command::kResolvePatientRequest:
      return DecideResolve(context, command);
    default:
      return absl::InvalidArgumentError("not a plan command");
  }
}

}  // namespace careledger::ledger
