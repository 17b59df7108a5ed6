#include "projections/audit_projection.h"

#include <fmt/format.h>

#include <cctype>

#include "events/envelope.h"
#include "events/plan_fold.h"
#include "events/plan_sections.h"
#include "projections/internal/applied.h"
#include "projections/internal/keys.h"
#include "projections/plan_projection.h"

namespace careledger::projections {
namespace {

using careledger::v1::AuditEntry;
using careledger::v1::Event;

bool IsDirectoryEvent(const Event& event) {
  switch (event.body_case()) {
    case Event::kOrganisationRecorded:
    case Event::kUserRecorded:
    case Event::kUserStatusChanged:
    case Event::kDeviceRecorded:
      return true;
    default:
      return false;
  }
}

bool IsCaseEvent(const Event& event) {
  switch (event.body_case()) {
    case Event::kCaseOpened:
    case Event::kCaseAlertAdded:
    case Event::kCaseNoteAdded:
    case Event::kCaseClosed:
      return true;
    default:
      return false;
  }
}

// The case entry a case event is stored as (family `cases`).
careledger::v1::CaseEntry CaseEntryOf(const Event& event, const AuditEntry& entry) {
  careledger::v1::CaseEntry stored;
  stored.set_action(entry.action());
  switch (event.body_case()) {
    case Event::kCaseOpened:
      stored.set_case_id(event.case_opened().case_id());
      stored.set_title(event.case_opened().title());
      stored.set_user_id(event.case_opened().user_id());
      stored.set_nhs_number(event.case_opened().nhs_number());
      break;
    case Event::kCaseAlertAdded:
      stored.set_case_id(event.case_alert_added().case_id());
      stored.set_alert_id(event.case_alert_added().alert_id());
      stored.set_nhs_number(event.case_alert_added().nhs_number());
      break;
    case Event::kCaseNoteAdded:
      stored.set_case_id(event.case_note_added().case_id());
      stored.set_note(event.case_note_added().note());
      break;
    case Event::kCaseClosed:
      stored.set_case_id(event.case_closed().case_id());
      stored.set_outcome(event.case_closed().outcome());
      stored.set_note(event.case_closed().note());
      break;
    default:
      break;
  }
  *stored.mutable_actor() = event.actor();
  *stored.mutable_at() = event.recorded_at();
  *stored.mutable_position() = entry.position();
  stored.set_stream_seq(event.stream_seq());
  return stored;
}

// The body's field name in Event ("plan_approved", ...).
std::string BodyName(const Event& event) {
  const auto* field = Event::descriptor()->FindFieldByNumber(event.body_case());
  return field == nullptr ? std::string("none") : std::string(field->name());
}

// "justified", "inappropriate_access_confirmed", ...
std::string AlertOutcomeName(careledger::v1::AlertReviewOutcome outcome) {
  std::string name = careledger::v1::AlertReviewOutcome_Name(outcome);
  constexpr std::string_view kPrefix = "ALERT_REVIEW_OUTCOME_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += ", ";
    joined += item;
  }
  return joined;
}

// The note or reason a change states, for an investigator.
std::string NoteOf(const Event& event) {
  switch (event.body_case()) {
    case Event::kPlanSubmitted: {
      const careledger::v1::PlanSubmitted& submitted = event.plan_submitted();
      const std::string& to =
          submitted.to_user().empty() ? submitted.to_organisation() : submitted.to_user();
      return submitted.note().empty() ? fmt::format("to {}", to)
                                      : fmt::format("to {}: {}", to, submitted.note());
    }
    case Event::kDraftDiscarded:
      return event.draft_discarded().reason();
    case Event::kPlanReviewed:
      return event.plan_reviewed().note();
    case Event::kDeathRecorded:
      return fmt::format("place: {}", event.death_recorded().place());
    case Event::kConsentWithdrawn:
      return event.consent_withdrawn().note();
    case Event::kRestrictionSet:
      return fmt::format("allowed: {}; {}", Joined(event.restriction_set().allowed_users()),
                         event.restriction_set().reason());
    case Event::kRestrictionLifted:
      return event.restriction_lifted().reason();
    case Event::kPatientRequestResolved: {
      const careledger::v1::PatientRequestResolved& resolved = event.patient_request_resolved();
      return fmt::format("{} {}: {}", resolved.request_id(),
                         careledger::v1::RequestResolution_Name(resolved.resolution()),
                         resolved.note());
    }
    case Event::kPatientErased: {
      const careledger::v1::PatientErased& erased = event.patient_erased();
      return erased.retention_override().empty()
                 ? erased.reason()
                 : fmt::format("{} (retention override: {})", erased.reason(),
                               erased.retention_override());
    }
    case Event::kUserStatusChanged:
      return fmt::format("{} -> {}: {}", event.user_status_changed().user_id(),
                         careledger::v1::UserStatus_Name(event.user_status_changed().status()),
                         event.user_status_changed().reason());
    case Event::kAlertReviewed: {
      const careledger::v1::AlertReviewed& reviewed = event.alert_reviewed();
      return fmt::format("{} {}: {}", reviewed.alert_id(), AlertOutcomeName(reviewed.outcome()),
                         reviewed.note());
    }
    case Event::kCaseOpened: {
      const careledger::v1::CaseOpened& opened = event.case_opened();
      return fmt::format("{} on {}: {}", opened.case_id(),
                         opened.user_id().empty() ? opened.nhs_number() : opened.user_id(),
                         opened.title());
    }
    case Event::kCaseAlertAdded:
      return fmt::format("{} + {}", event.case_alert_added().case_id(),
                         event.case_alert_added().alert_id());
    case Event::kCaseNoteAdded:
      return fmt::format("{}: {}", event.case_note_added().case_id(),
                         event.case_note_added().note());
    case Event::kCaseClosed:
      return fmt::format("{} {}: {}", event.case_closed().case_id(),
                         AlertOutcomeName(event.case_closed().outcome()),
                         event.case_closed().note());
    default:
      return "";
  }
}

void FillAccess(const careledger::v1::AccessRecorded& access, AuditEntry* entry) {
  if (access.outcome() == careledger::v1::ACCESS_OUTCOME_DENIED) {
    entry->set_kind(careledger::v1::AUDIT_KIND_REFUSED);
  } else if (access.action().starts_with("audit_")) {
    entry->set_kind(careledger::v1::AUDIT_KIND_AUDIT_QUERY);
  } else {
    entry->set_kind(careledger::v1::AUDIT_KIND_READ);
  }
  entry->set_action(access.action());
  entry->set_subject(access.subject());
  entry->set_nhs_number(access.nhs_number());
  entry->set_outcome(access.outcome());
  entry->set_reason(access.reason());
  entry->set_view(access.view());
  entry->set_version(access.version());
  entry->set_stream_seq(access.stream_seq());
  entry->set_content_hash(access.content_hash());
  entry->set_restricted(access.restricted());
  entry->set_break_glass(access.break_glass());
  entry->set_break_glass_reason(access.break_glass_reason());
  if (access.has_range_from()) *entry->mutable_range_from() = access.range_from();
  if (access.has_range_to()) *entry->mutable_range_to() = access.range_to();
  if (access.has_as_of()) *entry->mutable_as_of() = access.as_of();
}

void FillChange(const Event& event, AuditEntry* entry) {
  entry->set_kind(careledger::v1::AUDIT_KIND_CHANGE);
  entry->set_action(BodyName(event));
  entry->set_subject(event.stream_id());
  if (std::optional<std::string_view> patient = NhsNumberOfStream(event.stream_id())) {
    entry->set_nhs_number(std::string(*patient));
  }
  if (event.has_alert_reviewed()) entry->set_nhs_number(event.alert_reviewed().nhs_number());
  if (event.has_case_opened()) entry->set_nhs_number(event.case_opened().nhs_number());
  if (event.has_case_alert_added()) entry->set_nhs_number(event.case_alert_added().nhs_number());
  entry->set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  entry->set_stream_seq(event.stream_seq());
  if (event.has_plan_section_updated()) {
    entry->set_section(events::SectionName(event.plan_section_updated().value()));
  }
  if (event.has_plan_approved()) {
    entry->set_version(event.plan_approved().version());
    entry->set_content_hash(event.plan_approved().draft_hash());
  }
  entry->set_note(NoteOf(event));
}

}  // namespace

std::optional<AuditEntry> AuditEntryOf(const Event& event,
                                       const careledger::v1::EventPosition& position) {
  const bool plan_event =
      events::IsPlanEvent(event) && NhsNumberOfStream(event.stream_id()).has_value();
  if (!event.has_access_recorded() && !plan_event && !IsDirectoryEvent(event) &&
      !event.has_alert_reviewed() && !IsCaseEvent(event)) {
    return std::nullopt;
  }
  AuditEntry entry;
  *entry.mutable_at() = event.recorded_at();
  *entry.mutable_actor() = event.actor();
  entry.set_command_id(event.command_id());
  *entry.mutable_position() = position;
  if (event.has_access_recorded()) {
    FillAccess(event.access_recorded(), &entry);
  } else {
    FillChange(event, &entry);
  }
  return entry;
}

absl::Status AuditProjection::Apply(const AppliedEvent& applied) {
  const Event& event = applied.record->event;
  std::optional<AuditEntry> entry = AuditEntryOf(event, internal::PositionOf(applied));
  if (!entry) return absl::OkStatus();
  const std::string key =
      internal::AuditKey(event.recorded_at(), applied.partition, applied.offset);
  const std::string value = events::SerializeDeterministic(*entry);
  pending_.push_back(Write{StoreFamily::kAudit, key, value});
  if (!entry->nhs_number().empty()) {
    static_assert(AuditIndexHoldsEntries(StoreFamily::kAuditByPatient));
    pending_.push_back(Write{StoreFamily::kAuditByPatient,
                             internal::AuditIndexKey(entry->nhs_number(), key), value});
  }
  if (!event.actor().user_id().empty()) {
    pending_.push_back(Write{StoreFamily::kAuditByUser,
                             internal::AuditIndexKey(event.actor().user_id(), key), ""});
  }
  if (!event.actor().organisation().empty()) {
    pending_.push_back(Write{StoreFamily::kAuditByOrg,
                             internal::AuditIndexKey(event.actor().organisation(), key), ""});
  }
  if (event.has_organisation_recorded()) {
    const careledger::v1::Organisation& organisation = event.organisation_recorded().organisation();
    careledger::v1::AuditSite site;
    site.set_ods_code(organisation.ods_code());
    site.set_name(organisation.name());
    *site.mutable_changed_by() = entry->position();
    pending_.push_back(Write{StoreFamily::kAuditSites,
                             internal::AuditIndexKey(organisation.ods_code(), key),
                             events::SerializeDeterministic(site)});
  }
  if (event.has_alert_reviewed()) {
    const careledger::v1::AlertReviewed& reviewed = event.alert_reviewed();
    careledger::v1::AlertReview review;
    review.set_alert_id(reviewed.alert_id());
    review.set_outcome(reviewed.outcome());
    review.set_note(reviewed.note());
    *review.mutable_reviewed_by() = event.actor();
    *review.mutable_at() = event.recorded_at();
    *review.mutable_position() = entry->position();
    review.set_nhs_number(reviewed.nhs_number());
    pending_.push_back(Write{StoreFamily::kAlertReviews,
                             internal::AuditIndexKey(reviewed.alert_id(), key),
                             events::SerializeDeterministic(review)});
  }
  if (IsCaseEvent(event)) {
    const careledger::v1::CaseEntry stored = CaseEntryOf(event, *entry);
    pending_.push_back(Write{StoreFamily::kCases, internal::AuditIndexKey(stored.case_id(), key),
                             events::SerializeDeterministic(stored)});
  }
  return absl::OkStatus();
}

void AuditProjection::Flush(StoreBatch* batch) {
  for (const Write& write : pending_) batch->Put(write.family, write.key, write.value);
  pending_.clear();
}

}  // namespace careledger::projections
