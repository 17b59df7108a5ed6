// The signed event envelope: how an Event becomes a log record value and back.
//
// Byte layout (docs/envelope.md is the full contract):
//   value        = SignedEvent{ event = E, key_id, signature }   (protobuf)
//   E            = deterministic protobuf serialization of careledger.v1.Event
//   signed bytes = "careledger.v1.event" 0x00 || E
//   signature    = Ed25519(private key named key_id, signed bytes)
//   value hash   = SHA-256(value), the next event's prev_hash in the same stream
// Verifiers work on the exact stored bytes and never re-encode.
#ifndef CARELEDGER_EVENTS_ENVELOPE_H_
#define CARELEDGER_EVENTS_ENVELOPE_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "careledger/v1/envelope.pb.h"
#include "events/ed25519.h"
#include "events/keyring.h"
#include "events/own_signatures.h"
#include "events/sha256.h"

namespace careledger::events {

// The domain-separation tag, including its terminating NUL.
inline constexpr std::string_view kSignatureContext{"careledger.v1.event\0", 20};

// kSignatureContext || event_bytes: exactly what Ed25519 signs.
std::string SigningInput(std::string_view event_bytes);

// Deterministic protobuf serialization (stable field order, sorted maps).
std::string SerializeDeterministic(const google::protobuf::Message& message);

// Encodes `event`, signs it with `key` under `key_id` and returns the record
// value. INTERNAL only if OpenSSL fails.
absl::StatusOr<std::string> SealEvent(const careledger::v1::Event& event, std::string_view key_id,
                                      const SigningKey& key);

// A record value taken apart. `value_hash` is SHA-256 of the whole value.
struct OpenedRecord {
  careledger::v1::SignedEvent signed_event;
  careledger::v1::Event event;
  Hash value_hash{};
};

// Parses a record without checking its signature. Fails with kMalformed when
// either layer does not parse or required fields are missing, and with
// kStreamMismatch when `key` is not the event's stream id.
absl::StatusOr<OpenedRecord> OpenRecord(std::string_view key, std::string_view value);

// Checks the record's signature with the key that was valid at its recorded
// time. Fails with kUnknownKey, kKeyNotValid or kBadSignature. The key is
// always looked up (validity and revocation hold for every record); a record
// `own` says this process signed under that very public key is not verified
// again (events/own_signatures.h).
absl::Status VerifySignature(const OpenedRecord& record, const Keyring& keyring,
                             const OwnSignatures* own = nullptr);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_ENVELOPE_H_
