#include "ledger/key_store.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "events/format.h"
#include "events/ids.h"
#include "ledger/foreign_record.h"
#include "ledger/internal/files.h"

namespace careledger::ledger {
namespace {

std::string KeyringPath(const std::string& dir) { return dir + "/keyring.json"; }
std::string ActivePath(const std::string& dir) { return dir + "/active"; }
std::string PrivateKeyPath(const std::string& dir, const std::string& key_id) {
  return fmt::format("{}/private/{}.pem", dir, key_id);
}

}  // namespace

absl::StatusOr<events::Keyring> ReadKeyringFile(const std::string& path) {
  absl::StatusOr<std::string> json = internal::ReadFile(path);
  if (!json.ok()) return json.status();
  absl::StatusOr<events::Keyring> keyring = events::Keyring::FromJson(*json);
  if (!keyring.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, keyring.status().message()));
  }
  return keyring;
}

absl::StatusOr<KeyStore> KeyStore::Open(const std::string& dir) {
  absl::StatusOr<events::Keyring> keyring = ReadKeyringFile(KeyringPath(dir));
  if (!keyring.ok()) return keyring.status();
  absl::StatusOr<std::string> active = internal::ReadFile(ActivePath(dir));
  if (!active.ok()) return active.status();
  std::string active_id = *active;
  while (!active_id.empty() && (active_id.back() == '\n' || active_id.back() == ' ')) {
    active_id.pop_back();
  }
  return KeyStore(dir, *std::move(keyring), active_id);
}

absl::StatusOr<KeyStore> KeyStore::Create(const std::string& dir, absl::Time now) {
  if (std::filesystem::exists(KeyringPath(dir))) {
    return absl::AlreadyExistsError(fmt::format("{} already holds a keyring", dir));
  }
  std::error_code error;
  std::filesystem::create_directories(dir + "/private", error);
  if (error) return absl::InternalError(fmt::format("cannot create {}: {}", dir, error.message()));
  std::filesystem::permissions(dir + "/private", std::filesystem::perms::owner_all, error);
  KeyStore store(dir, events::Keyring(), "");
  absl::StatusOr<std::string> key_id = store.AddNewKey(now);
  if (!key_id.ok()) return key_id.status();
  store.active_id_ = *key_id;
  if (absl::Status saved = store.Save(); !saved.ok()) return saved;
  return store;
}

absl::StatusOr<std::string> KeyStore::AddNewKey(absl::Time now, std::string key_id) {
  absl::StatusOr<events::SigningKey> key = events::SigningKey::Generate();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> pem = key->ToPem();
  if (!pem.ok()) return pem.status();
  if (key_id.empty()) key_id = fmt::format("ed25519-{}", events::RandomUuid().substr(0, 8));
  if (absl::Status written =
          internal::WriteFileAtomically(PrivateKeyPath(dir_, key_id), *pem, 0600);
      !written.ok()) {
    return written;
  }
  absl::StatusOr<events::VerifyingKey> public_key =
      events::VerifyingKey::FromRaw(key->public_key());
  if (!public_key.ok()) return public_key.status();
  if (absl::Status added = keyring_.Add(events::KeyEntry{key_id, *public_key, now}); !added.ok()) {
    return added;
  }
  return key_id;
}

absl::Status KeyStore::Save() const {
  absl::StatusOr<std::string> json = keyring_.ToJson();
  if (!json.ok()) return json.status();
  if (absl::Status saved = internal::WriteFileAtomically(KeyringPath(dir_), *json, 0644);
      !saved.ok()) {
    return saved;
  }
  return internal::WriteFileAtomically(ActivePath(dir_), active_id_ + "\n", 0644);
}

absl::StatusOr<std::string> KeyStore::SigningKeyId(absl::Time now) const {
  const events::KeyEntry* newest = nullptr;
  for (const events::KeyEntry& entry : keyring_.entries()) {
    if (!entry.CanSignAt(now)) continue;
    if (!NodeOfKeyId(entry.key_id).empty()) continue;  // a replica's, never the writer's
    if (!std::filesystem::exists(PrivateKeyPath(dir_, entry.key_id))) continue;
    if (newest == nullptr || entry.valid_from > newest->valid_from) newest = &entry;
  }
  if (newest == nullptr) {
    return absl::FailedPreconditionError(fmt::format(
        "no key in {} can sign at {}: every key is retired, revoked or without its private key "
        "(run 'careledger keys rotate')",
        dir_, absl::FormatTime(now, absl::UTCTimeZone())));
  }
  return newest->key_id;
}

absl::StatusOr<ActiveKey> KeyStore::Active(absl::Time now) const {
  absl::StatusOr<std::string> key_id = SigningKeyId(now);
  if (!key_id.ok()) return key_id.status();
  return LoadKey(*key_id);
}

absl::StatusOr<ActiveKey> KeyStore::LoadKey(const std::string& key_id) const {
  absl::StatusOr<std::string> pem = internal::ReadFile(PrivateKeyPath(dir_, key_id));
  if (!pem.ok()) {
    return absl::FailedPreconditionError(
        fmt::format("the private key of {} cannot be read from {}", key_id, dir_));
  }
  absl::StatusOr<events::SigningKey> key = events::SigningKey::FromPem(*pem);
  if (!key.ok()) return key.status();
  if (key->public_key() != keyring_.Find(key_id)->key.raw()) {
    return absl::FailedPreconditionError(
        fmt::format("the private key of {} does not match the keyring", key_id));
  }
  return ActiveKey{key_id, *std::move(key)};
}

absl::StatusOr<std::string> KeyStore::AddNodeKey(std::string_view node, absl::Time now) {
  absl::StatusOr<std::string> key_id = NodeKeyId(node);
  if (!key_id.ok()) return key_id.status();
  if (keyring_.Find(*key_id) != nullptr) {
    return absl::AlreadyExistsError(
        fmt::format("node '{}' already has a key ({})", std::string(node), *key_id));
  }
  absl::StatusOr<std::string> added = AddNewKey(now, *key_id);
  if (!added.ok()) return added.status();
  if (absl::Status saved = Save(); !saved.ok()) return saved;
  return added;
}

absl::StatusOr<ActiveKey> KeyStore::NodeKey(std::string_view node) const {
  absl::StatusOr<std::string> key_id = NodeKeyId(node);
  if (!key_id.ok()) return key_id.status();
  if (keyring_.Find(*key_id) == nullptr) {
    return absl::NotFoundError(
        fmt::format("node '{}' has no key in {} (register it with 'careledger keys add-node')",
                    std::string(node), dir_));
  }
  return LoadKey(*key_id);
}

absl::StatusOr<std::string> KeyStore::Rotate(absl::Time now) {
  absl::StatusOr<std::string> key_id = AddNewKey(now);
  if (!key_id.ok()) return key_id.status();
  // Every other key still open past the overlap closes at its end.
  for (const events::KeyEntry& entry : std::vector<events::KeyEntry>(keyring_.entries())) {
    if (entry.key_id == *key_id || entry.valid_until <= now + kRotationOverlap) continue;
    if (!NodeOfKeyId(entry.key_id).empty()) continue;  // a replica's: not rotated here
    if (absl::Status retired = keyring_.Retire(entry.key_id, now + kRotationOverlap);
        !retired.ok()) {
      return retired;
    }
  }
  active_id_ = *key_id;
  if (absl::Status saved = Save(); !saved.ok()) return saved;
  return *key_id;
}

absl::Status KeyStore::Revoke(const std::string& key_id, absl::Time from, const std::string& reason,
                              absl::Time now) {
  if (keyring_.Find(key_id) == nullptr) {
    return absl::NotFoundError(fmt::format("key {} is not in the keyring", key_id));
  }
  absl::StatusOr<ActiveKey> signing = Active(now);
  if (absl::Status revoked = keyring_.Revoke(key_id, from, reason); !revoked.ok()) return revoked;
  if (signing.ok() && signing->key_id == key_id) {
    // Rotate saves the keyring with the revocation and the new key together.
    absl::StatusOr<std::string> rotated = Rotate(now);
    return rotated.status();
  }
  return Save();
}

absl::StatusOr<ActiveKey> KeyDirectory::KeyAt(absl::Time at) {
  struct stat info {};
  const std::string keyring_path = KeyringPath(dir_);
  if (::stat(keyring_path.c_str(), &info) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("the keyring {} cannot be read: {}", keyring_path, std::strerror(errno)));
  }
  const std::string stamp = fmt::format("{}:{}:{}.{}", info.st_ino, info.st_size,
                                        info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
  if (!store_ || stamp != keyring_stamp_) {
    absl::StatusOr<KeyStore> store = KeyStore::Open(dir_);
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    keyring_stamp_ = stamp;
  }
  absl::StatusOr<std::string> key_id = store_->SigningKeyId(at);
  if (!key_id.ok()) return key_id.status();
  if (!cached_ || cached_->key_id != *key_id) {
    absl::StatusOr<ActiveKey> active = store_->Active(at);
    if (!active.ok()) return active.status();
    cached_ = *std::move(active);
  }
  return *cached_;
}

}  // namespace careledger::ledger
