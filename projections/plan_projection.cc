#include "projections/plan_projection.h"

#include <fmt/format.h>

#include "events/envelope.h"
#include "events/format.h"
#include "projections/internal/applied.h"
#include "projections/internal/keys.h"
#include "projections/review_due.h"
#include "projections/worklist.h"

namespace careledger::projections {
namespace {

using careledger::v1::EventPosition;
using careledger::v1::PlanRecord;
using careledger::v1::PlanState;
using careledger::v1::PublishedVersion;

// Writes to `family` what changed from `before` to `after`: deletes the keys
// gone, puts the keys new or changed.
void WriteChanges(StoreFamily family, const std::map<std::string, std::string>& before,
                  const std::map<std::string, std::string>& after, StoreBatch* batch) {
  for (const auto& [key, value] : before) {
    if (!after.contains(key)) batch->Delete(family, key);
  }
  for (const auto& [key, value] : after) {
    auto it = before.find(key);
    if (it == before.end() || it->second != value) batch->Put(family, key, value);
  }
}

// Keeps the fields only the projection knows in step with `plan->state()`,
// after `applied` was folded into it.
void RecordPositions(const AppliedEvent& applied, bool draft_was_pending, PlanRecord* plan) {
  const careledger::v1::Event& event = applied.record->event;
  const EventPosition position = internal::PositionOf(applied);
  if (plan->state().draft_pending()) {
    if (!draft_was_pending) *plan->mutable_draft_opened() = position;
    if (event.has_plan_started() || event.has_plan_section_updated()) {
      *plan->mutable_draft_saved() = position;
    }
  } else {
    plan->clear_draft_opened();
    plan->clear_draft_saved();
  }
  if (event.has_plan_approved()) *plan->mutable_published_by() = position;
  plan->set_status(PlanStatusOf(plan->state()));
  *plan->mutable_last_event() = position;
}

}  // namespace

std::optional<std::string_view> NhsNumberOfStream(std::string_view stream_id) {
  if (!stream_id.starts_with(kPatientStreamPrefix) ||
      stream_id.size() == kPatientStreamPrefix.size()) {
    return std::nullopt;
  }
  return stream_id.substr(kPatientStreamPrefix.size());
}

careledger::v1::PlanStatus PlanStatusOf(const PlanState& state) {
  switch (state.lifecycle()) {
    case careledger::v1::PLAN_LIFECYCLE_DRAFT:
      return state.has_submission() ? careledger::v1::PLAN_STATUS_SUBMITTED
                                    : careledger::v1::PLAN_STATUS_DRAFT;
    case careledger::v1::PLAN_LIFECYCLE_PUBLISHED:
      return careledger::v1::PLAN_STATUS_PUBLISHED;
    case careledger::v1::PLAN_LIFECYCLE_EDITING:
      return careledger::v1::PLAN_STATUS_EDITING;
    case careledger::v1::PLAN_LIFECYCLE_CLOSED:
      return careledger::v1::PLAN_STATUS_CLOSED;
    case careledger::v1::PLAN_LIFECYCLE_WITHDRAWN:
      return careledger::v1::PLAN_STATUS_WITHDRAWN;
    case careledger::v1::PLAN_LIFECYCLE_ERASED:
      return careledger::v1::PLAN_STATUS_ERASED;
    default:
      return careledger::v1::PLAN_STATUS_UNSPECIFIED;
  }
}

// The entries `plan` derives in `worklist` and `review_due`, key ->
// deterministic value bytes.
PlanProjection::DerivedEntries PlanProjection::DerivedEntriesOf(const PlanRecord& plan) {
  DerivedEntries entries;
  for (const careledger::v1::WorklistItem& item : WorklistItemsOf(plan)) {
    entries.worklist.emplace(internal::WorklistKey(item.owner(), item.since(), item.kind(),
                                                   item.nhs_number(), item.item_id()),
                             events::SerializeDeterministic(item));
  }
  for (const careledger::v1::ReviewDue& due : ReviewDueOf(plan)) {
    const careledger::v1::Date& on = due.review_on();
    entries.review_due.emplace(
        internal::ReviewDueKey(due.owner(), on.year(), on.month(), on.day(), due.nhs_number()),
        events::SerializeDeterministic(due));
  }
  return entries;
}

PlanProjection::PlanProjection(const ProjectionStore* store)
    : plans_(store, StoreFamily::kPlans, "plan") {}

absl::StatusOr<const PlanRecord*> PlanProjection::Current(std::string_view nhs_number) {
  absl::StatusOr<PlanRecord*> found = plans_.Find(internal::PlanKey(nhs_number));
  if (!found.ok()) return found.status();
  return *found;
}

absl::Status PlanProjection::Apply(const AppliedEvent& event) {
  const careledger::v1::Event& body = event.record->event;
  if (!events::IsPlanEvent(body)) return absl::OkStatus();
  std::optional<std::string_view> nhs_number = NhsNumberOfStream(body.stream_id());
  if (!nhs_number) {
    return internal::Inconsistent(event, "a plan event on a stream that is not a patient's");
  }
  const std::string nhs(*nhs_number);
  const std::string key = internal::PlanKey(nhs);

  absl::StatusOr<PlanRecord*> found = plans_.Find(key);
  if (!found.ok()) return found.status();
  PlanRecord fresh;  // the stream's first plan event
  PlanRecord* plan = *found;
  if (plan == nullptr) {
    fresh.set_nhs_number(nhs);
    plan = &fresh;
  }
  // What the store holds before this batch changes the plan.
  if (!derived_before_.contains(nhs)) {
    derived_before_[nhs] = *found == nullptr ? DerivedEntries() : DerivedEntriesOf(**found);
  }

  const bool draft_was_pending = plan->state().draft_pending();
  if (absl::Status folded = events::FoldPlanEvent(body, plan->mutable_state()); !folded.ok()) {
    // The fold left the state unchanged.
    if (absl::IsFailedPrecondition(folded)) {
      return internal::Inconsistent(event, std::string(folded.message()));
    }
    return folded;
  }
  if (plan == &fresh) plan = plans_.Insert(key, std::move(fresh));
  RecordPositions(event, draft_was_pending, plan);

  if (body.has_plan_approved()) {
    const PlanState& state = plan->state();
    PublishedVersion& version = versions_.emplace_back();
    version.set_nhs_number(nhs);
    version.set_version(state.published_version());
    *version.mutable_plan() = state.published();
    *version.mutable_published_at() = body.recorded_at();
    *version.mutable_approved_by() = body.actor();
    *version.mutable_approval() = plan->published_by();
    version.set_content_hash(state.version_hashes(state.version_hashes_size() - 1));
  }
  return absl::OkStatus();
}

void PlanProjection::Flush(StoreBatch* batch) {
  static const DerivedEntries kNone;
  plans_.ForEach([&](const std::string&, const PlanRecord& plan) {
    const DerivedEntries after = DerivedEntriesOf(plan);
    auto stored = derived_before_.find(plan.nhs_number());
    const DerivedEntries& before = stored == derived_before_.end() ? kNone : stored->second;
    WriteChanges(StoreFamily::kWorklist, before.worklist, after.worklist, batch);
    WriteChanges(StoreFamily::kReviewDue, before.review_due, after.review_due, batch);
  });
  plans_.Flush(batch);
  for (const PublishedVersion& version : versions_) {
    batch->Put(StoreFamily::kVersions,
               internal::VersionKey(version.nhs_number(), version.version()),
               events::SerializeDeterministic(version));
  }
  Discard();
}

void PlanProjection::Discard() {
  plans_.Discard();
  derived_before_.clear();
  versions_.clear();
}

}  // namespace careledger::projections
