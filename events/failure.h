// Failure kinds that verification reports, carried inside absl::Status.
//
// Every verification error is an absl::Status with code DATA_LOSS (the record
// is untrusted) or INVALID_ARGUMENT (the input is not a record at all), plus a
// payload naming one FailureKind, so callers can tell a chain break from a bad
// signature without parsing messages. None of these is retriable: the same
// bytes fail the same way every time.
#ifndef CARELEDGER_EVENTS_FAILURE_H_
#define CARELEDGER_EVENTS_FAILURE_H_

#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace careledger::events {

enum class FailureKind {
  kMalformed,           // the value does not parse as SignedEvent/Event
  kStreamMismatch,      // record key differs from the event's stream id
  kUnknownKey,          // key_id is not in the keyring
  kKeyNotValid,         // the key was outside its validity window at recorded_at
  kBadSignature,        // Ed25519 verification failed
  kSequenceGap,         // stream_seq skips ahead of head + 1
  kDuplicate,           // stream_seq at or below the head (replayed / duplicated)
  kChainBreak,          // prev_hash differs from the hash of the previous value
  kCheckpointMismatch,  // a checkpoint's running hash or coverage is wrong
  kGenesisMismatch,     // a partition's first record is not its genesis, a
                        // genesis elsewhere, or geneses that disagree with
                        // each other or with the log's partition count
  kKeyRevoked,          // signed by a key after its revocation time
};

// "bad_signature", "chain_break", ...: stable names used in logs and JSON.
std::string_view FailureKindName(FailureKind kind);

// A DATA_LOSS status (INVALID_ARGUMENT for kMalformed) tagged with `kind`.
absl::Status VerificationFailure(FailureKind kind, std::string_view message);

// The kind a status was tagged with, or nullopt for any other status.
std::optional<FailureKind> FailureKindOf(const absl::Status& status);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_FAILURE_H_
