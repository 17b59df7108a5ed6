// What the plan events mean: folding one event of a stream
// "patient/<NHS number>" into that plan's PlanState.
//
// The one definition of the plan's meaning, shared by the ledger (which
// decides commands from the fold) and the projections (which serve it), so
// the two can never disagree about what a published plan says.
//
//   PlanStarted            lifecycle DRAFT; the draft holds the consent and
//                          demographics.nhs_number.
//   PlanSectionUpdated     the named section of the draft is replaced; DRAFT,
//                          or EDITING once a version is published.
//   PlanSubmitted          the draft awaits approval (submission set).
//   PlanApproved           the draft becomes published version `version`;
//                          draft_hash must equal the draft's content hash.
//   DraftDiscarded         the draft reverts to the published version.
//   PlanReviewed           review_due moves on.
//   DeathRecorded          CLOSED.   ConsentWithdrawn   WITHDRAWN.
//   RestrictionSet/Lifted  restriction set / cleared.
//   UrgentCareNoteAdded    a note is appended (content unchanged).
//   PatientRequestMade     an open request (id = the event's command id).
//   PatientRequestResolved that request is resolved or declined.
//   PatientErased          ERASED: the content is dropped (content_erased),
//                          the facts (status, versions, who and when) stay.
//   a sealed event         (one that still carries sealed_body after
//                          events::OpenSealedContent: its key was destroyed)
//                          folds its clear body, then the content is dropped;
//                          an approval's draft_hash is then taken as signed.
//   anything else          no change (checkpoints, access, directory).
//
// An event that contradicts the state (an edit of a closed plan, an approval
// of a version other than the next, a draft_hash that differs, ...) is
// refused with FAILED_PRECONDITION and leaves `state` unchanged: the ledger
// never decides such an event, so a projector that meets one stops there.
#ifndef CARELEDGER_EVENTS_PLAN_FOLD_H_
#define CARELEDGER_EVENTS_PLAN_FOLD_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "events/sha256.h"

namespace careledger::events {

inline constexpr std::string_view kPatientStreamPrefix = "patient/";

// True for the event bodies this fold gives a meaning to.
bool IsPlanEvent(const careledger::v1::Event& event);

// SHA-256 of the deterministic serialization of `plan`: the hash an approval
// carries and an access record cites.
Hash PlanContentHash(const careledger::v1::CarePlan& plan);

// Folds `event` into `state` (see above). On error `state` is unchanged.
absl::Status FoldPlanEvent(const careledger::v1::Event& event, careledger::v1::PlanState* state);

// True while the plan exists and can still change: DRAFT, PUBLISHED, EDITING.
bool IsOpen(const careledger::v1::PlanState& state);

// The open request with this id, or nullptr.
const careledger::v1::PatientRequest* FindOpenRequest(const careledger::v1::PlanState& state,
                                                      std::string_view request_id);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_PLAN_FOLD_H_
