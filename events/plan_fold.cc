#include "events/plan_fold.h"

#include <fmt/format.h>

#include <algorithm>

#include "events/envelope.h"
#include "events/plan_sections.h"

namespace careledger::events {
namespace {

using careledger::v1::Event;
using careledger::v1::PlanState;

absl::Status Contradicts(std::string_view what) {
  return absl::FailedPreconditionError(fmt::format("inconsistent plan event: {}", what));
}

void NoteContributor(const Event& event, PlanState* state) {
  const std::string& organisation = event.actor().organisation();
  if (organisation.empty()) return;
  const auto& known = state->contributing_organisations();
  if (std::find(known.begin(), known.end(), organisation) == known.end()) {
    state->add_contributing_organisations(organisation);
  }
}

// Each Apply* makes every check before its first change, so a refused event
// leaves the state unchanged (no copy of the state is needed).
absl::Status ApplyStarted(const Event& event, PlanState* state) {
  const careledger::v1::PlanStarted& started = event.plan_started();
  if (state->lifecycle() != careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) {
    return Contradicts("the plan was already started");
  }
  if (event.stream_id() != fmt::format("{}{}", kPatientStreamPrefix, started.nhs_number())) {
    return Contradicts("PlanStarted names another patient than its stream");
  }
  state->set_nhs_number(started.nhs_number());
  state->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_DRAFT);
  *state->mutable_draft()->mutable_consent() = started.consent();
  state->mutable_draft()->mutable_demographics()->set_nhs_number(started.nhs_number());
  state->set_draft_pending(true);
  state->set_started_by_user(event.actor().user_id());
  NoteContributor(event, state);
  return absl::OkStatus();
}

absl::Status ApplySectionUpdated(const Event& event, PlanState* state) {
  if (!IsOpen(*state)) return Contradicts("an edit of a plan that is not open");
  // Set on a copy: a refused edit leaves the state as it was (not even an
  // empty draft where erasure had dropped it).
  careledger::v1::CarePlan draft = state->draft();
  if (absl::Status set = SetSection(event.plan_section_updated().value(), &draft); !set.ok()) {
    return Contradicts(std::string(set.message()));
  }
  *state->mutable_draft() = std::move(draft);
  state->set_draft_pending(true);
  state->set_lifecycle(state->published_version() > 0 ? careledger::v1::PLAN_LIFECYCLE_EDITING
                                                      : careledger::v1::PLAN_LIFECYCLE_DRAFT);
  NoteContributor(event, state);
  return absl::OkStatus();
}

absl::Status ApplySubmitted(const Event& event, PlanState* state) {
  if (!IsOpen(*state) || !state->draft_pending()) {
    return Contradicts("a submission with no working draft");
  }
  careledger::v1::Submission* submission = state->mutable_submission();
  submission->set_to_user(event.plan_submitted().to_user());
  submission->set_to_organisation(event.plan_submitted().to_organisation());
  submission->set_note(event.plan_submitted().note());
  submission->set_by_user(event.actor().user_id());
  *submission->mutable_at() = event.recorded_at();
  return absl::OkStatus();
}

absl::Status ApplyApproved(const Event& event, PlanState* state) {
  const careledger::v1::PlanApproved& approved = event.plan_approved();
  if (!IsOpen(*state) || !state->draft_pending()) {
    return Contradicts("an approval with no working draft");
  }
  if (approved.version() != state->published_version() + 1) {
    return Contradicts(fmt::format("approval of version {} after version {}", approved.version(),
                                   state->published_version()));
  }
  // Erased content cannot be hashed again: the approval's hash is taken as
  // signed (it was checked when the content could still be read).
  const bool erased = state->content_erased() || event.has_sealed_body();
  const std::string draft_hash =
      erased ? approved.draft_hash() : HashBytes(PlanContentHash(state->draft()));
  if (approved.draft_hash() != draft_hash) {
    return Contradicts("the approval's draft_hash is not the hash of the working draft");
  }
  *state->mutable_published() = state->draft();
  state->set_published_version(approved.version());
  *state->mutable_published_at() = event.recorded_at();
  state->add_version_hashes(draft_hash);
  state->set_draft_pending(false);
  state->clear_submission();
  state->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  *state->mutable_review_due() = state->published().review().review_on();
  NoteContributor(event, state);
  return absl::OkStatus();
}

absl::Status ApplyDiscarded(PlanState* state) {
  if (!IsOpen(*state) || !state->draft_pending() || state->published_version() == 0) {
    return Contradicts("a discard with no working draft over a published version");
  }
  *state->mutable_draft() = state->published();
  state->set_draft_pending(false);
  state->clear_submission();
  state->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  return absl::OkStatus();
}

absl::Status ApplyReviewed(const Event& event, PlanState* state) {
  if (!IsOpen(*state) || state->published_version() == 0) {
    return Contradicts("a review of a plan that is not published");
  }
  *state->mutable_review_due() = event.plan_reviewed().next_review_on();
  return absl::OkStatus();
}

absl::Status ApplyClosing(const Event& event, PlanState* state) {
  if (!IsOpen(*state)) return Contradicts("closing a plan that is not open");
  state->clear_submission();
  if (event.has_death_recorded()) {
    *state->mutable_death() = event.death_recorded();
    *state->mutable_death_recorded_at() = event.recorded_at();
    state->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_CLOSED);
  } else {
    *state->mutable_withdrawal() = event.consent_withdrawn();
    state->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_WITHDRAWN);
  }
  return absl::OkStatus();
}

absl::Status ApplyRestrictionSet(const Event& event, PlanState* state) {
  if (!IsOpen(*state)) return Contradicts("restricting a plan that is not open");
  careledger::v1::Restriction* restriction = state->mutable_restriction();
  restriction->Clear();
  for (const std::string& user : event.restriction_set().allowed_users()) {
    restriction->add_allowed_users(user);
  }
  const auto& allowed = restriction->allowed_users();
  if (std::find(allowed.begin(), allowed.end(), event.actor().user_id()) == allowed.end()) {
    restriction->add_allowed_users(event.actor().user_id());
  }
  restriction->set_by_user(event.actor().user_id());
  *restriction->mutable_since() = event.recorded_at();
  return absl::OkStatus();
}

absl::Status ApplyRestrictionLifted(PlanState* state) {
  if (!state->has_restriction()) return Contradicts("lifting a restriction that is not set");
  state->clear_restriction();
  return absl::OkStatus();
}

absl::Status ApplyNote(const Event& event, PlanState* state) {
  if (!IsOpen(*state) || state->published_version() == 0) {
    return Contradicts("a note on a plan that is not published");
  }
  careledger::v1::UrgentCareNote* note = state->add_notes();
  note->set_text(event.urgent_care_note_added().text());
  *note->mutable_by() = event.actor();
  *note->mutable_at() = event.recorded_at();
  return absl::OkStatus();
}

absl::Status ApplyRequestMade(const Event& event, PlanState* state) {
  if (state->lifecycle() == careledger::v1::PLAN_LIFECYCLE_CLOSED ||
      state->lifecycle() == careledger::v1::PLAN_LIFECYCLE_WITHDRAWN ||
      state->lifecycle() == careledger::v1::PLAN_LIFECYCLE_ERASED) {
    return Contradicts("a request on a closed plan");
  }
  if (state->nhs_number().empty()) {
    state->set_nhs_number(std::string(event.stream_id().substr(kPatientStreamPrefix.size())));
  }
  careledger::v1::PatientRequest* request = state->add_requests();
  request->set_request_id(event.command_id());
  request->set_kind(event.patient_request_made().kind());
  request->set_text(event.patient_request_made().text());
  request->set_by_user(event.actor().user_id());
  *request->mutable_at() = event.recorded_at();
  return absl::OkStatus();
}

absl::Status ApplyRequestResolved(const Event& event, PlanState* state) {
  const careledger::v1::PatientRequestResolved& resolved = event.patient_request_resolved();
  for (careledger::v1::PatientRequest& request : *state->mutable_requests()) {
    if (request.request_id() != resolved.request_id()) continue;
    if (request.resolution() != careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED) break;
    request.set_resolution(resolved.resolution());
    request.set_resolved_by(event.actor().user_id());
    request.set_resolution_note(resolved.note());
    return absl::OkStatus();
  }
  return Contradicts(fmt::format("no open request {}", resolved.request_id()));
}

// Everything the plan said, gone; the facts stay: lifecycle, versions and
// their hashes, who started, submitted, restricted and requested, and when.
// The review date goes with the content it is read from.
void DropContent(PlanState* state) {
  state->clear_published();
  state->clear_draft();
  if (state->has_submission()) state->mutable_submission()->clear_note();
  for (careledger::v1::UrgentCareNote& note : *state->mutable_notes()) note.clear_text();
  for (careledger::v1::PatientRequest& request : *state->mutable_requests()) {
    request.clear_text();
    request.clear_resolution_note();
  }
  if (state->has_death()) {
    state->mutable_death()->clear_died_on();
    state->mutable_death()->clear_place();
  }
  if (state->has_withdrawal()) state->mutable_withdrawal()->clear_note();
  // Read from the published content, so a fold of erased events cannot know
  // it: dropped too, so that a plan erased after it was folded whole equals
  // one folded from its erased events.
  state->clear_review_due();
  state->set_content_erased(true);
}

absl::Status ApplyErased(const Event& event, PlanState* state) {
  if (state->lifecycle() == careledger::v1::PLAN_LIFECYCLE_ERASED) {
    return Contradicts("the patient was already erased");
  }
  DropContent(state);
  state->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_ERASED);
  *state->mutable_erasure() = event.patient_erased();
  *state->mutable_erased_at() = event.recorded_at();
  return absl::OkStatus();
}

absl::Status Apply(const Event& event, PlanState* state) {
  switch (event.body_case()) {
    case Event::kPatientErased:
      return ApplyErased(event, state);
    case Event::kPlanStarted:
      return ApplyStarted(event, state);
    case Event::kPlanSectionUpdated:
      return ApplySectionUpdated(event, state);
    case Event::kPlanSubmitted:
      return ApplySubmitted(event, state);
    case Event::kPlanApproved:
      return ApplyApproved(event, state);
    case Event::kDraftDiscarded:
      return ApplyDiscarded(state);
    case Event::kPlanReviewed:
      return ApplyReviewed(event, state);
    case Event::kDeathRecorded:
    case Event::kConsentWithdrawn:
      return ApplyClosing(event, state);
    case Event::kRestrictionSet:
      return ApplyRestrictionSet(event, state);
    case Event::kRestrictionLifted:
      return ApplyRestrictionLifted(state);
    case Event::kUrgentCareNoteAdded:
      return ApplyNote(event, state);
    case Event::kPatientRequestMade:
      return ApplyRequestMade(event, state);
    case Event::kPatientRequestResolved:
      return ApplyRequestResolved(event, state);
    default:
      return absl::OkStatus();
  }
}

}  // namespace

bool IsPlanEvent(const Event& event) {
  const int body = event.body_case();
  return body >= Event::kPlanStarted && body <= Event::kPatientErased;
}

Hash PlanContentHash(const careledger::v1::CarePlan& plan) {
  return Sha256(SerializeDeterministic(plan));
}

absl::Status FoldPlanEvent(const Event& event, PlanState* state) {
  if (!IsPlanEvent(event)) return absl::OkStatus();
  absl::Status applied = Apply(event, state);
  // Still sealed after events::OpenSealedContent: its key was destroyed.
  if (applied.ok() && event.has_sealed_body()) DropContent(state);
  return applied;
}

bool IsOpen(const PlanState& state) {
  return state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_DRAFT ||
         state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_PUBLISHED ||
         state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_EDITING;
}

const careledger::v1::PatientRequest* FindOpenRequest(const PlanState& state,
                                                      std::string_view request_id) {
  for (const careledger::v1::PatientRequest& request : state.requests()) {
    if (request.request_id() == request_id &&
        request.resolution() == careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED) {
      return &request;
    }
  }
  return nullptr;
}

}  // namespace careledger::events
