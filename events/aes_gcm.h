// AES-256-GCM through OpenSSL's EVP interface: the cipher behind sealed
// bodies (events/sealed_body.h) and the wrapping of data keys under the
// master key (ledger/data_keys.h).
#ifndef CARELEDGER_EVENTS_AES_GCM_H_
#define CARELEDGER_EVENTS_AES_GCM_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace careledger::events {

inline constexpr std::size_t kAesKeySize = 32;    // AES-256
inline constexpr std::size_t kGcmNonceSize = 12;  // 96 bits
inline constexpr std::size_t kGcmTagSize = 16;

using AesKey = std::array<std::uint8_t, kAesKeySize>;

// `size` bytes from OpenSSL's CSPRNG (aborts if it cannot produce them, as
// RandomUuid does).
std::string RandomBytes(std::size_t size);

// A fresh random AES-256 key.
AesKey RandomAesKey();

// Encrypts `plaintext` with a fresh random 96-bit nonce, authenticating
// `aad` too. Returns the nonce (kGcmNonceSize bytes) and the ciphertext with
// the 16-byte tag appended. INTERNAL only if OpenSSL fails.
struct GcmSealed {
  std::string nonce;
  std::string ciphertext_and_tag;
};
absl::StatusOr<GcmSealed> AesGcmSeal(const AesKey& key, std::string_view plaintext,
                                     std::string_view aad);

// Decrypts and checks the tag. DATA_LOSS when the nonce or tag has the wrong
// size or the tag does not verify (a wrong key, changed bytes or other aad).
absl::StatusOr<std::string> AesGcmOpen(const AesKey& key, std::string_view nonce,
                                       std::string_view ciphertext_and_tag, std::string_view aad);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_AES_GCM_H_
