#include "events/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>

#include "absl/status/status.h"

namespace careledger::events {
namespace {

struct ContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using Context = std::unique_ptr<EVP_CIPHER_CTX, ContextFree>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::string RandomBytes(std::size_t size) {
  std::string bytes(size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size)) != 1) {
    std::abort();
  }
  return bytes;
}

AesKey RandomAesKey() {
  AesKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) std::abort();
  return key;
}

absl::StatusOr<GcmSealed> AesGcmSeal(const AesKey& key, std::string_view plaintext,
                                     std::string_view aad) {
  GcmSealed sealed;
  sealed.nonce = RandomBytes(kGcmNonceSize);
  Context context(EVP_CIPHER_CTX_new());
  int length = 0;
  sealed.ciphertext_and_tag.resize(plaintext.size() + kGcmTagSize);
  auto* out = reinterpret_cast<unsigned char*>(sealed.ciphertext_and_tag.data());
  if (!context ||
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(),
                         Bytes(sealed.nonce)) != 1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(context.get(), out, &length, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), out + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                          out + plaintext.size()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed in OpenSSL");
  }
  return sealed;
}

absl::StatusOr<std::string> AesGcmOpen(const AesKey& key, std::string_view nonce,
                                       std::string_view ciphertext_and_tag, std::string_view aad) {
  if (nonce.size() != kGcmNonceSize || ciphertext_and_tag.size() < kGcmTagSize) {
    return absl::DataLossError("a sealed value has a nonce or tag of the wrong size");
  }
  const std::size_t size = ciphertext_and_tag.size() - kGcmTagSize;
  std::string plaintext(size, '\0');
  std::string tag(ciphertext_and_tag.substr(size));
  Context context(EVP_CIPHER_CTX_new());
  int length = 0;
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  if (!context ||
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), Bytes(nonce)) !=
          1 ||
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(context.get(), out, &length, Bytes(ciphertext_and_tag),
                        static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize),
                          tag.data()) != 1) {
    return absl::InternalError("AES-256-GCM decryption failed in OpenSSL");
  }
  if (EVP_DecryptFinal_ex(context.get(), out + length, &length) != 1) {
    return absl::DataLossError("the AES-256-GCM tag does not verify");
  }
  return plaintext;
}

}  // namespace careledger::events
