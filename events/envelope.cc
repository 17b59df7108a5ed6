#include "events/envelope.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "events/failure.h"
#include "events/format.h"
#include "events/time_util.h"

namespace careledger::events {

std::string SigningInput(std::string_view event_bytes) {
  std::string input;
  input.reserve(kSignatureContext.size() + event_bytes.size());
  input.append(kSignatureContext);
  input.append(event_bytes);
  return input;
}

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::StatusOr<std::string> SealEvent(const careledger::v1::Event& event, std::string_view key_id,
                                      const SigningKey& key) {
  careledger::v1::SignedEvent signed_event;
  signed_event.set_event(SerializeDeterministic(event));
  absl::StatusOr<std::string> signature = key.Sign(SigningInput(signed_event.event()));
  if (!signature.ok()) return signature.status();
  signed_event.set_key_id(std::string(key_id));
  signed_event.set_signature(*std::move(signature));
  return SerializeDeterministic(signed_event);
}

absl::StatusOr<OpenedRecord> OpenRecord(std::string_view key, std::string_view value) {
  OpenedRecord record;
  if (!record.signed_event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return VerificationFailure(FailureKind::kMalformed, "the value is not a SignedEvent");
  }
  if (!record.event.ParseFromString(record.signed_event.event())) {
    return VerificationFailure(FailureKind::kMalformed, "the signed bytes are not an Event");
  }
  const careledger::v1::Event& event = record.event;
  if (event.event_id().empty() || event.stream_id().empty() || event.stream_seq() == 0 ||
      event.prev_hash().size() != kZeroHash.size() || !event.has_recorded_at() ||
      record.signed_event.key_id().empty() ||
      event.body_case() == careledger::v1::Event::BODY_NOT_SET) {
    return VerificationFailure(FailureKind::kMalformed,
                               "the event lacks an id, stream, sequence, prev_hash, time, key id "
                               "or body");
  }
  if (event.has_sealed_body()) {
    // docs/envelope.md "Sealed bodies": where one may be and its shape (what
    // it holds needs the patient's key: events/sealed_body.h).
    const careledger::v1::SealedBody& sealed = event.sealed_body();
    const int body = event.body_case();
    if (body < careledger::v1::Event::kPlanStarted ||
        body > careledger::v1::Event::kPatientRequestResolved ||
        !event.stream_id().starts_with("patient/") || sealed.version() != 2 ||
        sealed.nonce().size() != 12 || sealed.ciphertext().size() < 16) {
      return VerificationFailure(FailureKind::kMalformed,
                                 "a sealed body that is not a plan event's, or not version 2 "
                                 "with a 12-byte nonce and a 16-byte tag");
    }
  }
  if (event.stream_id() != key) {
    return VerificationFailure(
        FailureKind::kStreamMismatch,
        fmt::format("record key '{}' but event stream '{}'", key, event.stream_id()));
  }
  record.value_hash = Sha256(value);
  return record;
}

absl::Status VerifySignature(const OpenedRecord& record, const Keyring& keyring,
                             const OwnSignatures* own) {
  absl::StatusOr<const VerifyingKey*> key =
      keyring.KeyAt(record.signed_event.key_id(), FromTimestamp(record.event.recorded_at()));
  if (!key.ok()) return key.status();
  if (own != nullptr && own->Made(record.value_hash, (*key)->raw())) return absl::OkStatus();
  if (!(*key)->Verify(SigningInput(record.signed_event.event()), record.signed_event.signature())) {
    return VerificationFailure(
        FailureKind::kBadSignature,
        fmt::format("signature by key '{}' does not verify", record.signed_event.key_id()));
  }
  return absl::OkStatus();
}

}  // namespace careledger::events
