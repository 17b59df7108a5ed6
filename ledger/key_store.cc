#include "ledger/key_store.h"

#include <fmt/format.h>

#include <filesystem>

#include "events/format.h"
#include "events/ids.h"
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

absl::StatusOr<std::string> KeyStore::AddNewKey(absl::Time now) {
  absl::StatusOr<events::SigningKey> key = events::SigningKey::Generate();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> pem = key->ToPem();
  if (!pem.ok()) return pem.status();
  const std::string key_id = fmt::format("ed25519-{}", events::RandomUuid().substr(0, 8));
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

absl::StatusOr<ActiveKey> KeyStore::Active(absl::Time now) const {
  if (absl::StatusOr<const events::VerifyingKey*> valid = keyring_.KeyAt(active_id_, now);
      !valid.ok()) {
    return absl::FailedPreconditionError(
        fmt::format("the active key cannot sign now: {}", valid.status().message()));
  }
  absl::StatusOr<std::string> pem = internal::ReadFile(PrivateKeyPath(dir_, active_id_));
  if (!pem.ok()) {
    return absl::FailedPreconditionError(
        fmt::format("the private key of {} is missing from {}", active_id_, dir_));
  }
  absl::StatusOr<events::SigningKey> key = events::SigningKey::FromPem(*pem);
  if (!key.ok()) return key.status();
  if (key->public_key() != keyring_.Find(active_id_)->key.raw()) {
    return absl::FailedPreconditionError(
        fmt::format("the private key of {} does not match the keyring", active_id_));
  }
  return ActiveKey{active_id_, *std::move(key)};
}

absl::StatusOr<std::string> KeyStore::Rotate(absl::Time now) {
  const std::string previous = active_id_;
  absl::StatusOr<std::string> key_id = AddNewKey(now);
  if (!key_id.ok()) return key_id.status();
  if (absl::Status retired = keyring_.Retire(previous, now); !retired.ok()) return retired;
  active_id_ = *key_id;
  if (absl::Status saved = Save(); !saved.ok()) return saved;
  return *key_id;
}

}  // namespace careledger::ledger
