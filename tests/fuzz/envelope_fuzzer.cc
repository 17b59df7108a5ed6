// Fuzzes the envelope decoder (events/envelope.h) on arbitrary stored
// records: a record key and value, as the log returns them.
//
// Proves, for any bytes: OpenRecord never crashes and fails only with a
// verification status tagged kMalformed or kStreamMismatch; an opened record
// names the record key as its stream, carries SHA-256 of the exact value, and
// re-encodes to bytes that decode to the same SignedEvent and Event;
// VerifySignature on it returns a status (never a crash, whatever the key id
// or recorded time); and folding it into an empty plan (events/plan_fold.h)
// either succeeds or leaves the plan exactly as it was.
//
// Input: two pieces (tests/fuzz/fuzz_input.h): the record key, the value.
#include <cstdint>

#include "careledger/v1/plan_state.pb.h"
#include "events/envelope.h"
#include "events/failure.h"
#include "events/keyring.h"
#include "events/plan_fold.h"
#include "events/plan_sections.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"

namespace careledger::fuzz {
namespace {

// A keyring holding one fixed public key under the id the corpus uses.
const events::Keyring& FixedKeyring() {
  static const events::Keyring* const keyring = [] {
    auto* ring = new events::Keyring;
    const std::string raw(32, '\x07');
    absl::StatusOr<events::VerifyingKey> key = events::VerifyingKey::FromRaw(raw);
    CARELEDGER_FUZZ_CHECK(key.ok());
    CARELEDGER_FUZZ_CHECK(ring->Add(events::KeyEntry{"test-key-1", *key, absl::UnixEpoch()}).ok());
    return ring;
  }();
  return *keyring;
}

void CheckOpened(std::string_view key, std::string_view value, const events::OpenedRecord& record) {
  CARELEDGER_FUZZ_CHECK(record.event.stream_id() == key);
  CARELEDGER_FUZZ_CHECK(record.value_hash == events::Sha256(value));
  // Decode -> encode -> decode gives the same message.
  const std::string signed_bytes = events::SerializeDeterministic(record.signed_event);
  careledger::v1::SignedEvent signed_again;
  CARELEDGER_FUZZ_CHECK(signed_again.ParseFromString(signed_bytes));
  CARELEDGER_FUZZ_CHECK(events::SerializeDeterministic(signed_again) == signed_bytes);
  const std::string event_bytes = events::SerializeDeterministic(record.event);
  careledger::v1::Event event_again;
  CARELEDGER_FUZZ_CHECK(event_again.ParseFromString(event_bytes));
  CARELEDGER_FUZZ_CHECK(events::SerializeDeterministic(event_again) == event_bytes);

  const absl::Status signature = events::VerifySignature(record, FixedKeyring());
  CARELEDGER_FUZZ_CHECK(signature.ok() || events::FailureKindOf(signature).has_value());

  careledger::v1::PlanState plan;
  const std::string before = events::SerializeDeterministic(plan);
  if (!events::FoldPlanEvent(record.event, &plan).ok()) {
    CARELEDGER_FUZZ_CHECK(events::SerializeDeterministic(plan) == before);
  }
  if (record.event.has_plan_section_updated()) {
    const careledger::v1::PlanSectionValue& section = record.event.plan_section_updated().value();
    careledger::v1::CarePlan draft;
    if (events::SetSection(section, &draft).ok()) {
      CARELEDGER_FUZZ_CHECK(!events::SectionName(section).empty());
      CARELEDGER_FUZZ_CHECK(events::SerializeDeterministic(events::GetSection(draft, section)) ==
                            events::SerializeDeterministic(section));
    }
  }
}

}  // namespace
}  // namespace careledger::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using careledger::events::FailureKind;
  careledger::fuzz::FuzzInput input(data, size);
  const std::string_view key = input.Piece();
  const std::string_view value = input.Piece();
  absl::StatusOr<careledger::events::OpenedRecord> record =
      careledger::events::OpenRecord(key, value);
  if (record.ok()) {
    careledger::fuzz::CheckOpened(key, value, *record);
  } else {
    const auto kind = careledger::events::FailureKindOf(record.status());
    CARELEDGER_FUZZ_CHECK(kind == FailureKind::kMalformed || kind == FailureKind::kStreamMismatch);
  }
  return 0;
}
