// The keyring: which key ids may sign, with which public key, and when.
//
// A signature is good only if its key was valid at the event's recorded time
// (valid_from <= recorded_at < valid_until) and not revoked by then. Rotation
// closes the old key's window and opens a new key's, so history never needs
// re-signing; revocation (a compromised key) distrusts what the key signed
// from a given time on, and verify names each such record.
//
// Thread safety: const methods may be called concurrently; mutation needs
// external synchronisation.
#ifndef CARELEDGER_EVENTS_KEYRING_H_
#define CARELEDGER_EVENTS_KEYRING_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/keyring.pb.h"
#include "events/ed25519.h"

namespace careledger::events {

struct KeyEntry {
  std::string key_id;
  VerifyingKey key;
  absl::Time valid_from;
  absl::Time valid_until = absl::InfiniteFuture();  // exclusive
  // A compromised key: nothing it signed for an event recorded at or after
  // this time is trusted (key_revoked), whatever its window says.
  absl::Time revoked_at = absl::InfiniteFuture();
  std::string revocation_reason = "";

  // valid_from <= at < valid_until, and not revoked at `at`.
  bool CanSignAt(absl::Time at) const {
    return valid_from <= at && at < valid_until && at < revoked_at;
  }
};

class Keyring {
 public:
  // ALREADY_EXISTS for a repeated key id; INVALID_ARGUMENT for an empty id or
  // an empty validity window.
  absl::Status Add(KeyEntry entry);

  // Ends `key_id`'s window at `until` (rotation). NOT_FOUND if absent;
  // INVALID_ARGUMENT if `until` is before the key's start or its current end.
  absl::Status Retire(std::string_view key_id, absl::Time until);

  // Revokes `key_id` from `from` (which may be in the past: the time it was
  // compromised), with a reason for the record. NOT_FOUND if absent;
  // FAILED_PRECONDITION if it was already revoked from an earlier time.
  absl::Status Revoke(std::string_view key_id, absl::Time from, std::string_view reason);

  // The key that may verify an event recorded at `at`. Fails with the
  // unknown_key, key_not_valid or key_revoked failure kinds (events/failure.h).
  absl::StatusOr<const VerifyingKey*> KeyAt(std::string_view key_id, absl::Time at) const;

  // The entry for `key_id`, or nullptr.
  const KeyEntry* Find(std::string_view key_id) const;
  const std::vector<KeyEntry>& entries() const { return entries_; }

  careledger::v1::Keyring ToProto() const;
  static absl::StatusOr<Keyring> FromProto(const careledger::v1::Keyring& proto);
  // The protobuf JSON mapping of careledger.v1.Keyring (public keys in base64,
  // times in RFC 3339 UTC).
  absl::StatusOr<std::string> ToJson() const;
  static absl::StatusOr<Keyring> FromJson(std::string_view json);

 private:
  std::vector<KeyEntry> entries_;
};

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_KEYRING_H_
