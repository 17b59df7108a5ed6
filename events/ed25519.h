// Ed25519 keys through OpenSSL. No OpenSSL type appears in this header.
//
// Both key types are cheap to copy (they share one immutable OpenSSL key) and
// safe to use from many threads at once.
#ifndef CARELEDGER_EVENTS_ED25519_H_
#define CARELEDGER_EVENTS_ED25519_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace careledger::events {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

class VerifyingKey {
 public:
  // `raw` must be exactly 32 bytes; INVALID_ARGUMENT otherwise.
  static absl::StatusOr<VerifyingKey> FromRaw(std::string_view raw);

  // True only if `signature` is a valid Ed25519 signature of `message`.
  bool Verify(std::string_view message, std::string_view signature) const;
  const std::string& raw() const { return raw_; }

 private:
  struct Key;
  VerifyingKey(std::shared_ptr<const Key> key, std::string raw)
      : key_(std::move(key)), raw_(std::move(raw)) {}
  std::shared_ptr<const Key> key_;
  std::string raw_;
};

class SigningKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static absl::StatusOr<SigningKey> Generate();
  // Reads a PKCS#8 PEM private key; INVALID_ARGUMENT if it is not Ed25519.
  static absl::StatusOr<SigningKey> FromPem(std::string_view pem);

  // PKCS#8 PEM (unencrypted: protect the file, see docs/keys.md).
  absl::StatusOr<std::string> ToPem() const;
  // The 32-byte raw public key.
  const std::string& public_key() const { return public_key_; }
  // A 64-byte Ed25519 signature of `message`.
  absl::StatusOr<std::string> Sign(std::string_view message) const;

 private:
  struct Key;
  static absl::StatusOr<SigningKey> Wrap(void* owned_pkey);
  SigningKey(std::shared_ptr<const Key> key, std::string public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  std::shared_ptr<const Key> key_;
  std::string public_key_;
};

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_ED25519_H_
