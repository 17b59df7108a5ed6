#include "events/sealed_body.h"

#include <fmt/format.h>

#include "absl/status/status.h"
#include "events/envelope.h"
#include "events/failure.h"
#include "events/plan_fold.h"

namespace careledger::events {
namespace {

using careledger::v1::Event;

void AppendBigEndian(std::uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Keeps the section's name (which section changed) and drops its content.
void ReduceSection(careledger::v1::PlanSectionValue* value) {
  const google::protobuf::OneofDescriptor* oneof =
      careledger::v1::PlanSectionValue::descriptor()->FindOneofByName("section");
  const google::protobuf::Reflection* reflection = value->GetReflection();
  const google::protobuf::FieldDescriptor* field =
      reflection->GetOneofFieldDescriptor(*value, oneof);
  if (field != nullptr) reflection->MutableMessage(value, field)->Clear();
}

}  // namespace

bool IsSealable(const Event& event) {
  return event.stream_id().starts_with(kPatientStreamPrefix) && IsPlanEvent(event) &&
         !event.has_patient_erased();
}

std::string SealedAad(std::string_view stream_id, std::uint64_t stream_seq, std::uint32_t version) {
  std::string aad(kSealedAadContext);
  AppendBigEndian(version, 4, &aad);
  AppendBigEndian(stream_seq, 8, &aad);
  aad.append(stream_id);
  return aad;
}

void ReduceToClear(Event* event) {
  switch (event->body_case()) {
    case Event::kPlanStarted: {
      // The NHS number is the stream id's; the consent basis is a category.
      careledger::v1::Consent* consent = event->mutable_plan_started()->mutable_consent();
      const careledger::v1::ConsentBasis basis = consent->basis();
      consent->Clear();
      consent->set_basis(basis);
      break;
    }
    case Event::kPlanSectionUpdated: {
      careledger::v1::PlanSectionUpdated* updated = event->mutable_plan_section_updated();
      if (updated->has_previous()) ReduceSection(updated->mutable_previous());
      ReduceSection(updated->mutable_value());
      break;
    }
    case Event::kPlanSubmitted:
      event->mutable_plan_submitted()->clear_note();
      break;
    case Event::kDraftDiscarded:
      event->mutable_draft_discarded()->clear_reason();
      break;
    case Event::kPlanReviewed:
      event->mutable_plan_reviewed()->clear_note();
      break;
    case Event::kDeathRecorded:
      event->mutable_death_recorded()->clear_died_on();
      event->mutable_death_recorded()->clear_place();
      break;
    case Event::kConsentWithdrawn:
      event->mutable_consent_withdrawn()->clear_note();
      break;
    case Event::kRestrictionSet:
      event->mutable_restriction_set()->clear_reason();
      break;
    case Event::kRestrictionLifted:
      event->mutable_restriction_lifted()->clear_reason();
      break;
    case Event::kUrgentCareNoteAdded:
      event->mutable_urgent_care_note_added()->clear_text();
      break;
    case Event::kPatientRequestMade:
      event->mutable_patient_request_made()->clear_text();
      break;
    case Event::kPatientRequestResolved:
      event->mutable_patient_request_resolved()->clear_note();
      break;
    default:  // PlanApproved (version, draft_hash) and anything else: all clear
      break;
  }
}

void EraseSealedContent(Event* event) {
  ReduceToClear(event);
  careledger::v1::SealedBody* sealed = event->mutable_sealed_body();
  sealed->Clear();
  sealed->set_version(kSealedEnvelopeVersion);
}

absl::Status SealContent(const AesKey& key, Event* event) {
  const google::protobuf::FieldDescriptor* field =
      Event::descriptor()->FindFieldByNumber(event->body_case());
  if (field == nullptr) return absl::InvalidArgumentError("an event with no body to seal");
  Event whole;
  whole.GetReflection()
      ->MutableMessage(&whole, field)
      ->CopyFrom(event->GetReflection()->GetMessage(*event, field));
  absl::StatusOr<GcmSealed> sealed =
      AesGcmSeal(key, SerializeDeterministic(whole),
                 SealedAad(event->stream_id(), event->stream_seq(), kSealedEnvelopeVersion));
  if (!sealed.ok()) return sealed.status();
  careledger::v1::SealedBody* body = event->mutable_sealed_body();
  body->set_version(kSealedEnvelopeVersion);
  body->set_nonce(std::move(sealed->nonce));
  body->set_ciphertext(std::move(sealed->ciphertext_and_tag));
  ReduceToClear(event);
  return absl::OkStatus();
}

absl::StatusOr<SealedContent> OpenSealedContent(const DataKeys* keys, Event* event) {
  if (!event->has_sealed_body()) return SealedContent::kClear;
  const careledger::v1::SealedBody& sealed = event->sealed_body();
  const std::string where =
      fmt::format("the sealed body of {} #{}", event->stream_id(), event->stream_seq());
  if (sealed.version() != kSealedEnvelopeVersion || !IsSealable(*event)) {
    return VerificationFailure(
        FailureKind::kMalformed,
        fmt::format("{} has version {} or is on an event that is never sealed", where,
                    sealed.version()));
  }
  if (keys == nullptr) {
    return absl::FailedPreconditionError(
        fmt::format("{} cannot be opened: no data key store was given", where));
  }
  absl::StatusOr<std::optional<AesKey>> key = keys->Find(event->stream_id());
  if (!key.ok()) return key.status();
  if (!key->has_value()) return SealedContent::kErased;
  absl::StatusOr<std::string> plaintext =
      AesGcmOpen(**key, sealed.nonce(), sealed.ciphertext(),
                 SealedAad(event->stream_id(), event->stream_seq(), sealed.version()));
  Event whole;
  if (!plaintext.ok() || !whole.ParseFromString(*plaintext) ||
      whole.body_case() != event->body_case()) {
    return VerificationFailure(
        FailureKind::kMalformed,
        fmt::format("{} does not open under its data key, or holds another body", where));
  }
  const google::protobuf::FieldDescriptor* field =
      Event::descriptor()->FindFieldByNumber(event->body_case());
  event->GetReflection()
      ->MutableMessage(event, field)
      ->CopyFrom(whole.GetReflection()->GetMessage(whole, field));
  event->clear_sealed_body();
  return SealedContent::kOpened;
}

}  // namespace careledger::events
