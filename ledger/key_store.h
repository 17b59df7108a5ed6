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
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "events/ed25519.h"
#include "events/keyring.h"

namespace careledger::ledger {

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

  // The key that signs new events. FAILED_PRECONDITION when its private key
  // is missing or it is no longer valid at `now`.
  absl::StatusOr<ActiveKey> Active(absl::Time now) const;

  // Generates a new key valid from `now`, retires the active one at `now`,
  // and makes the new one active. Returns its id.
  absl::StatusOr<std::string> Rotate(absl::Time now);

  const events::Keyring& keyring() const { return keyring_; }
  const std::string& dir() const { return dir_; }

 private:
  KeyStore(std::string dir, events::Keyring keyring, std::string active_id)
      : dir_(std::move(dir)), keyring_(std::move(keyring)), active_id_(std::move(active_id)) {}
  // Generates, stores and registers a key valid from `now`; returns its id.
  absl::StatusOr<std::string> AddNewKey(absl::Time now);
  absl::Status Save() const;

  std::string dir_;
  events::Keyring keyring_;
  std::string active_id_;
};

// Reads a keyring JSON file (e.g. one exported by `careledger keys export`).
absl::StatusOr<events::Keyring> ReadKeyringFile(const std::string& path);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_KEY_STORE_H_
