// Sealed bodies: envelope version 2 (docs/envelope.md, "Sealed bodies").
//
// On a stream "patient/<NHS number>", every plan event but PatientErased is
// written sealed: its whole typed body is encrypted with AES-256-GCM under
// that patient's data key into Event.sealed_body, and `body` keeps only what
// stays in clear (ClearBodyOf below). The signature and prev_hash cover the
// sealed bytes like any others, so verification never needs a data key.
// Erasing a patient destroys their key: the sealed content can never be read
// again, and every signature, chain and checkpoint still verifies.
//
// This is the one module every reader opens events through (the projector,
// the writer's recovery, audit reads): OpenSealedContent.
#ifndef CARELEDGER_EVENTS_SEALED_BODY_H_
#define CARELEDGER_EVENTS_SEALED_BODY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "careledger/v1/envelope.pb.h"
#include "events/aes_gcm.h"

namespace careledger::events {

inline constexpr std::uint32_t kSealedEnvelopeVersion = 2;

// The AAD domain tag, including its terminating NUL.
inline constexpr std::string_view kSealedAadContext{"careledger.sealed.v2\0", 21};

// Where patients' data keys are found (ledger/data_keys.h is the store).
class DataKeys {
 public:
  virtual ~DataKeys() = default;
  // The data key of `stream_id`; std::nullopt when it was destroyed (the
  // patient was erased). NOT_FOUND when the store never held one (the wrong
  // store, or a lost one: never taken for an erasure); other errors from it.
  virtual absl::StatusOr<std::optional<AesKey>> Find(std::string_view stream_id) const = 0;
};

// True for the events the writer seals: plan events other than
// PatientErased on "patient/" streams.
bool IsSealable(const careledger::v1::Event& event);

// The AAD binding a sealed body to its place: kSealedAadContext ||
// u32be(version) || u64be(stream_seq) || stream_id.
std::string SealedAad(std::string_view stream_id, std::uint64_t stream_seq, std::uint32_t version);

// Reduces the typed body of `event` to what stays in clear: free text,
// names, dates of birth and death, addresses, contacts and every plan
// section's content are cleared; workflow facts (the section's name,
// versions and hashes, review dates, restriction's allowed users, consent
// basis, request kinds and resolutions, withdrawal date, preferred place
// met) stay. docs/envelope.md lists each field.
void ReduceToClear(careledger::v1::Event* event);

// The erased form of an event written sealed, as the projections keep it
// once its patient is erased: the clear body (ReduceToClear) and a
// sealed_body holding only its version (nonce and ciphertext, which no key
// will ever open again, are dropped). The same bytes whether `event` was
// opened (its whole body restored) or could not be opened (its key was
// destroyed): the writer's clear body is ReduceToClear of the whole body.
void EraseSealedContent(careledger::v1::Event* event);

// Seals `event` (stream_id and stream_seq set) under `key`: the whole body
// into sealed_body, then ReduceToClear. INTERNAL if OpenSSL fails.
absl::Status SealContent(const AesKey& key, careledger::v1::Event* event);

enum class SealedContent {
  kClear,   // the event was never sealed (envelope version 1, or not a plan event)
  kOpened,  // it was sealed and is now whole: sealed_body removed, body restored
  kErased,  // its key was destroyed: left as it is, clear body and sealed_body
};

// Opens `event` in place. An event that still carries a sealed_body after
// this call is erased content (events/plan_fold.h gives it that meaning).
// Errors: FAILED_PRECONDITION when `keys` is null and the event is sealed;
// DATA_LOSS (kMalformed) when the sealed body does not open under its key
// (changed bytes, another place, a wrong version or body); the store's
// errors as they come (NOT_FOUND: the store never held this stream's key).
absl::StatusOr<SealedContent> OpenSealedContent(const DataKeys* keys, careledger::v1::Event* event);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_SEALED_BODY_H_
