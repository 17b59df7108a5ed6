#include "events/keyring.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include "events/failure.h"
#include "events/format.h"
#include "events/time_util.h"

namespace careledger::events {

absl::Status Keyring::Add(KeyEntry entry) {
  if (entry.key_id.empty()) return absl::InvalidArgumentError("a key id must not be empty");
  if (entry.valid_until <= entry.valid_from) {
    return absl::InvalidArgumentError(
        fmt::format("key {} has an empty validity window", entry.key_id));
  }
  if (Find(entry.key_id) != nullptr) {
    return absl::AlreadyExistsError(fmt::format("key {} is already in the keyring", entry.key_id));
  }
  entries_.push_back(std::move(entry));
  return absl::OkStatus();
}

absl::Status Keyring::Retire(std::string_view key_id, absl::Time until) {
  for (KeyEntry& entry : entries_) {
    if (entry.key_id != key_id) continue;
    if (until <= entry.valid_from || until > entry.valid_until) {
      return absl::InvalidArgumentError(
          fmt::format("key {} cannot be retired at {}", key_id, absl::FormatTime(until)));
    }
    entry.valid_until = until;
    return absl::OkStatus();
  }
  return absl::NotFoundError(fmt::format("key {} is not in the keyring", key_id));
}

absl::Status Keyring::Revoke(std::string_view key_id, absl::Time from, std::string_view reason) {
  for (KeyEntry& entry : entries_) {
    if (entry.key_id != key_id) continue;
    if (entry.revoked_at != absl::InfiniteFuture() && entry.revoked_at <= from) {
      return absl::FailedPreconditionError(
          fmt::format("key {} is already revoked from {}", key_id,
                      absl::FormatTime(entry.revoked_at, absl::UTCTimeZone())));
    }
    entry.revoked_at = from;
    entry.revocation_reason = std::string(reason);
    return absl::OkStatus();
  }
  return absl::NotFoundError(fmt::format("key {} is not in the keyring", key_id));
}

const KeyEntry* Keyring::Find(std::string_view key_id) const {
  for (const KeyEntry& entry : entries_) {
    if (entry.key_id == key_id) return &entry;
  }
  return nullptr;
}

absl::StatusOr<const VerifyingKey*> Keyring::KeyAt(std::string_view key_id, absl::Time at) const {
  const KeyEntry* entry = Find(key_id);
  if (entry == nullptr) {
    return VerificationFailure(FailureKind::kUnknownKey,
                               fmt::format("key '{}' is not in the keyring", key_id));
  }
  if (at >= entry->revoked_at) {
    return VerificationFailure(
        FailureKind::kKeyRevoked,
        fmt::format("key '{}' signed an event recorded at {}, after its revocation from {} ({})",
                    key_id, absl::FormatTime(at, absl::UTCTimeZone()),
                    absl::FormatTime(entry->revoked_at, absl::UTCTimeZone()),
                    entry->revocation_reason));
  }
  if (at < entry->valid_from || at >= entry->valid_until) {
    return VerificationFailure(
        FailureKind::kKeyNotValid,
        fmt::format("key '{}' was not valid at {} (valid from {} until {})", key_id,
                    absl::FormatTime(at, absl::UTCTimeZone()),
                    absl::FormatTime(entry->valid_from, absl::UTCTimeZone()),
                    absl::FormatTime(entry->valid_until, absl::UTCTimeZone())));
  }
  return &entry->key;
}

careledger::v1::Keyring Keyring::ToProto() const {
  careledger::v1::Keyring proto;
  for (const KeyEntry& entry : entries_) {
    careledger::v1::KeyringEntry* out = proto.add_keys();
    out->set_key_id(entry.key_id);
    out->set_algorithm("ed25519");
    out->set_public_key(entry.key.raw());
    *out->mutable_valid_from() = ToTimestamp(entry.valid_from);
    if (entry.valid_until != absl::InfiniteFuture()) {
      *out->mutable_valid_until() = ToTimestamp(entry.valid_until);
    }
    if (entry.revoked_at != absl::InfiniteFuture()) {
      *out->mutable_revoked_at() = ToTimestamp(entry.revoked_at);
      out->set_revocation_reason(entry.revocation_reason);
    }
  }
  return proto;
}

absl::StatusOr<Keyring> Keyring::FromProto(const careledger::v1::Keyring& proto) {
  Keyring keyring;
  for (const careledger::v1::KeyringEntry& in : proto.keys()) {
    if (in.algorithm() != "ed25519") {
      return absl::InvalidArgumentError(
          fmt::format("key {}: unsupported algorithm '{}'", in.key_id(), in.algorithm()));
    }
    absl::StatusOr<VerifyingKey> key = VerifyingKey::FromRaw(in.public_key());
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("key {}: {}", in.key_id(), key.status().message()));
    }
    KeyEntry entry{in.key_id(), *std::move(key), FromTimestamp(in.valid_from())};
    if (in.has_valid_until()) entry.valid_until = FromTimestamp(in.valid_until());
    if (in.has_revoked_at()) {
      entry.revoked_at = FromTimestamp(in.revoked_at());
      entry.revocation_reason = in.revocation_reason();
    }
    if (absl::Status added = keyring.Add(std::move(entry)); !added.ok()) return added;
  }
  return keyring;
}

absl::StatusOr<std::string> Keyring::ToJson() const {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(ToProto(), &json, options);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  return json;
}

absl::StatusOr<Keyring> Keyring::FromJson(std::string_view json) {
  careledger::v1::Keyring proto;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &proto);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("keyring JSON: {}", status.message().as_string()));
  }
  return FromProto(proto);
}

}  // namespace careledger::events
