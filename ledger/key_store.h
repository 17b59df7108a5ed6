// Signing keys on disk, and the public keyring that goes with them.
//
// Layout of a key directory:
//   <dir>/keyring.json        public keyring (careledger.v1.Keyring JSON); share it
//   <dir>/private/<id>.pem    PKCS#8 Ed25519 private keys, mode 0600
//   <dir>/active              the id of the key that signs new events
// Writes go to a temporary file and are renamed into place, so a crash never
// leaves a half-written keyring.
//
// Not thread-safe; one process manages a key directory at a time.
#ifndef CARELEDGER_LEDGER_KEY_STORE_H_
#define CARELEDGER_LEDGER_KEY_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "events/ed25519.h"
#include "events/keyring.h"

namespace careledger::ledger {

// How long a rotated-out key stays valid beside its successor.
inline constexpr absl::Duration kRotationOverlap = absl::Seconds(30);

struct ActiveKey {
  std::string key_id;
  events::SigningKey key;
};

class KeyStore {
 public:
  // Opens an existing key directory. NOT_FOUND when it holds no keyring.
  static absl::StatusOr<KeyStore> Open(const std::string& dir);
  // Creates a key directory with one fresh key valid from `now`.
  // ALREADY_EXISTS when the directory already has a keyring.
  static absl::StatusOr<KeyStore> Create(const std::string& dir, absl::Time now);

  // The key that signs an event recorded at `now`: the newest key (latest
  // valid_from) that can sign at `now` (events::KeyEntry::CanSignAt) and whose
  // private key is here. FAILED_PRECONDITION when there is none or its private
  // key does not match the keyring.
  absl::StatusOr<ActiveKey> Active(absl::Time now) const;
  // The id of the key Active(now) would return, without reading it.
  absl::StatusOr<std::string> SigningKeyId(absl::Time now) const;

  // Generates a new key valid from `now` and makes it active; the old one
  // stays valid for kRotationOverlap more, so a writer in another process
  // that stamped an event just before it saw the new keyring still signs
  // inside its key's window (docs/witnesses.md, "Keys"). Returns the new id.
  absl::StatusOr<std::string> Rotate(absl::Time now);

  // Revokes a compromised key from `from` (possibly in the past). When it is
  // the key that signs now, a new key is generated first (Rotate), so the
  // ledger keeps signing. NOT_FOUND for an unknown key.
  absl::Status Revoke(const std::string& key_id, absl::Time from, const std::string& reason,
                      absl::Time now);

  // Registers a read replica's node key (docs/replicas.md): a new key with
  // id NodeKeyId(node) (ledger/foreign_record.h), valid from `now`, its
  // private key stored here. Node keys never sign the writer's records
  // (Active skips them) and `Rotate` leaves them open. INVALID_ARGUMENT for
  // a bad node id; ALREADY_EXISTS when the node has a key.
  absl::StatusOr<std::string> AddNodeKey(std::string_view node, absl::Time now);
  // The node's key, to sign its access records. NOT_FOUND when the node
  // has no key here; FAILED_PRECONDITION when its private key does not match.
  absl::StatusOr<ActiveKey> NodeKey(std::string_view node) const;

  const events::Keyring& keyring() const { return keyring_; }
  const std::string& dir() const { return dir_; }

 private:
  KeyStore(std::string dir, events::Keyring keyring, std::string active_id)
      : dir_(std::move(dir)), keyring_(std::move(keyring)), active_id_(std::move(active_id)) {}
  // Generates, stores and registers a key valid from `now`; returns its id
  // (`key_id`, or a fresh "ed25519-..." one when empty).
  absl::StatusOr<std::string> AddNewKey(absl::Time now, std::string key_id = "");
  // The stored private key of `key_id`, checked against the keyring.
  absl::StatusOr<ActiveKey> LoadKey(const std::string& key_id) const;
  absl::Status Save() const;

  std::string dir_;
  events::Keyring keyring_;
  std::string active_id_;
};

// The signing key for each batch a long-running writer appends: re-reads
// the key directory whenever its keyring file changed (another process ran
// `careledger keys rotate` or `keys revoke`), so a writer never signs with a
// key outside its window. The writer stamps a batch's time first and asks for
// the key at that time second; with the rotation overlap this closes the race
// with a rotation in another process. Not thread-safe (the writer's commit
// thread calls it).
class KeyDirectory {
 public:
  explicit KeyDirectory(std::string dir) : dir_(std::move(dir)) {}

  absl::StatusOr<ActiveKey> KeyAt(absl::Time at);

 private:
  std::string dir_;
  std::optional<KeyStore> store_;
  std::string keyring_stamp_;  // inode, size and mtime of keyring.json when read
  std::optional<ActiveKey> cached_;
};

// Reads a keyring JSON file (e.g. one exported by `careledger keys export`).
absl::StatusOr<events::Keyring> ReadKeyringFile(const std::string& path);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_KEY_STORE_H_
