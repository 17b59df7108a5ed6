#include "projections/plan_projection.h"

#include <fmt/format.h>

#include "events/envelope.h"
#include "events/format.h"
#include "events/plan_sections.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

using careledger::v1::CarePlan;
using careledger::v1::EventPosition;
using careledger::v1::PlanRecord;
using careledger::v1::PlanSectionValue;
using careledger::v1::PublishedVersion;

EventPosition PositionOf(const AppliedEvent& applied) {
  const careledger::v1::Event& event = applied.record->event;
  EventPosition position;
  position.set_partition(applied.partition);
  position.set_offset(applied.offset);
  position.set_stream_seq(event.stream_seq());
  position.set_value_hash(events::HashBytes(applied.record->value_hash));
  position.set_event_id(event.event_id());
  *position.mutable_recorded_at() = event.recorded_at();
  return position;
}

absl::Status Inconsistent(const AppliedEvent& applied, std::string_view what) {
  return absl::FailedPreconditionError(fmt::format("{} seq {}: {}",
                                                   applied.record->event.stream_id(),
                                                   applied.record->event.stream_seq(), what));
}

}  // namespace

std::optional<std::string_view> NhsNumberOfStream(std::string_view stream_id) {
  if (!stream_id.starts_with(kPatientStreamPrefix) ||
      stream_id.size() == kPatientStreamPrefix.size()) {
    return std::nullopt;
  }
  return stream_id.substr(kPatientStreamPrefix.size());
}

absl::StatusOr<PlanRecord*> PlanProjection::Find(const std::string& nhs_number) {
  if (auto it = pending_plans_.find(nhs_number); it != pending_plans_.end()) return &it->second;
  absl::StatusOr<std::optional<std::string>> stored =
      store_->Get(StoreFamily::kPlans, internal::PlanKey(nhs_number));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return nullptr;
  PlanRecord plan;
  if (!plan.ParseFromString(**stored)) {
    return absl::DataLossError(
        fmt::format("projection store: unreadable plan record for {}", nhs_number));
  }
  return &(pending_plans_[nhs_number] = std::move(plan));
}

absl::Status PlanProjection::Apply(const AppliedEvent& event) {
  const careledger::v1::Event& body = event.record->event;
  switch (body.body_case()) {
    case careledger::v1::Event::kPlanStarted:
    case careledger::v1::Event::kPlanSectionUpdated:
    case careledger::v1::Event::kPlanApproved:
      break;
    default:
      return absl::OkStatus();  // not a plan event
  }
  std::optional<std::string_view> nhs_number = NhsNumberOfStream(body.stream_id());
  if (!nhs_number) return Inconsistent(event, "a plan event on a stream that is not a patient's");
  const std::string nhs(*nhs_number);
  switch (body.body_case()) {
    case careledger::v1::Event::kPlanStarted:
      return ApplyStarted(event, nhs);
    case careledger::v1::Event::kPlanSectionUpdated:
      return ApplySectionUpdated(event, nhs);
    default:
      return ApplyApproved(event, nhs);
  }
}

absl::Status PlanProjection::ApplyStarted(const AppliedEvent& event,
                                          const std::string& nhs_number) {
  const careledger::v1::PlanStarted& started = event.record->event.plan_started();
  if (started.nhs_number() != nhs_number) {
    return Inconsistent(event,
                        fmt::format("PlanStarted names NHS number '{}'", started.nhs_number()));
  }
  absl::StatusOr<PlanRecord*> existing = Find(nhs_number);
  if (!existing.ok()) return existing.status();
  if (*existing != nullptr) return Inconsistent(event, "PlanStarted for a plan already started");

  PlanRecord& plan = pending_plans_[nhs_number];
  plan.set_nhs_number(nhs_number);
  plan.set_status(careledger::v1::PLAN_STATUS_DRAFT);
  *plan.mutable_draft()->mutable_consent() = started.consent();
  plan.mutable_draft()->mutable_demographics()->set_nhs_number(nhs_number);
  *plan.mutable_last_event() = PositionOf(event);
  return absl::OkStatus();
}

absl::Status PlanProjection::ApplySectionUpdated(const AppliedEvent& event,
                                                 const std::string& nhs_number) {
  const PlanSectionValue& value = event.record->event.plan_section_updated().value();
  absl::StatusOr<PlanRecord*> found = Find(nhs_number);
  if (!found.ok()) return found.status();
  PlanRecord* plan = *found;
  if (plan == nullptr) return Inconsistent(event, "a section update before PlanStarted");
  if (value.section_case() == PlanSectionValue::SECTION_NOT_SET) {
    return Inconsistent(event, "a section update that names no section");
  }
  // An edit of a published plan opens a working draft from it.
  if (!plan->has_draft()) *plan->mutable_draft() = plan->published();
  if (absl::Status applied = events::SetSection(value, plan->mutable_draft()); !applied.ok()) {
    // The section parsed, so CarePlan lacks it: a schema mistake, not a record's.
    return absl::InternalError(applied.message());
  }
  plan->set_status(plan->published_version() > 0 ? careledger::v1::PLAN_STATUS_EDITING
                                                 : careledger::v1::PLAN_STATUS_DRAFT);
  *plan->mutable_last_event() = PositionOf(event);
  return absl::OkStatus();
}

absl::Status PlanProjection::ApplyApproved(const AppliedEvent& event,
                                           const std::string& nhs_number) {
  const careledger::v1::PlanApproved& approved = event.record->event.plan_approved();
  absl::StatusOr<PlanRecord*> found = Find(nhs_number);
  if (!found.ok()) return found.status();
  PlanRecord* plan = *found;
  if (plan == nullptr) return Inconsistent(event, "an approval before PlanStarted");
  if (!plan->has_draft()) return Inconsistent(event, "an approval with no working draft");
  if (approved.version() != plan->published_version() + 1) {
    return Inconsistent(event, fmt::format("approval of version {} after version {}",
                                           approved.version(), plan->published_version()));
  }
  if (!approved.draft_hash().empty() &&
      approved.draft_hash() !=
          events::HashBytes(events::Sha256(events::SerializeDeterministic(plan->draft())))) {
    return Inconsistent(event,
                        "the approved draft_hash differs from the projected draft: what was "
                        "approved is not what would be published");
  }

  const EventPosition position = PositionOf(event);
  PublishedVersion& version = pending_versions_.emplace_back();
  version.set_nhs_number(nhs_number);
  version.set_version(approved.version());
  *version.mutable_plan() = plan->draft();
  *version.mutable_published_at() = event.record->event.recorded_at();
  *version.mutable_approved_by() = event.record->event.actor();
  *version.mutable_approval() = position;

  *plan->mutable_published() = std::move(*plan->mutable_draft());
  plan->clear_draft();
  plan->set_published_version(approved.version());
  *plan->mutable_published_at() = event.record->event.recorded_at();
  *plan->mutable_published_by() = position;
  plan->set_status(careledger::v1::PLAN_STATUS_PUBLISHED);
  *plan->mutable_last_event() = position;
  return absl::OkStatus();
}

void PlanProjection::Flush(StoreBatch* batch) {
  for (const auto& [nhs_number, plan] : pending_plans_) {
    batch->Put(StoreFamily::kPlans, internal::PlanKey(nhs_number),
               events::SerializeDeterministic(plan));
  }
  for (const PublishedVersion& version : pending_versions_) {
    batch->Put(StoreFamily::kVersions,
               internal::VersionKey(version.nhs_number(), version.version()),
               events::SerializeDeterministic(version));
  }
  Discard();
}

void PlanProjection::Discard() {
  pending_plans_.clear();
  pending_versions_.clear();
}

}  // namespace careledger::projections
