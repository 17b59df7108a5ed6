// Keys for JSON Web Signatures through OpenSSL 3: generation, PEM, the JWK
// form (RFC 7517/7518) of RSA and EC P-256 public keys, and the RS256 and
// ES256 signatures themselves (RFC 7518 §3.3, §3.4). Internal to auth/.
#ifndef CARELEDGER_AUTH_INTERNAL_KEYS_H_
#define CARELEDGER_AUTH_INTERNAL_KEYS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/internal/openssl_ptr.h"

namespace careledger::auth::internal {

// The only signature algorithms careledger accepts; each key is pinned to one.
enum class JwsAlgorithm { kRs256, kEs256 };

// "RS256" / "ES256".
std::string_view AlgorithmName(JwsAlgorithm algorithm);

// RSA keys shorter than this are refused (NIST SP 800-131A).
inline constexpr int kMinRsaBits = 2048;

absl::StatusOr<PkeyPtr> GenerateEcP256Key();
absl::StatusOr<PkeyPtr> GenerateRsaKey(int bits);

// PKCS#8 PEM of a private key, and back. INVALID_ARGUMENT for bad PEM.
absl::StatusOr<std::string> PrivateKeyToPem(EVP_PKEY* key);

// The private key at `path`, or a new P-256 key stored there (0600, created
// once) when there is none. Two processes racing here both end up with the
// one that was stored. INVALID_ARGUMENT naming the file for an unreadable key.
absl::StatusOr<PkeyPtr> LoadOrCreateEcP256Key(const std::string& path);
absl::StatusOr<PkeyPtr> PrivateKeyFromPem(std::string_view pem);
// SubjectPublicKeyInfo PEM of the public half.
absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key);

// The public JWK of an RSA or EC P-256 key, with "kid", "use":"sig" and the
// "alg" its type pins. INVALID_ARGUMENT for any other key type.
absl::StatusOr<nlohmann::json> PublicJwk(EVP_PKEY* key, std::string_view kid);

// The RFC 7638 thumbprint of a public key's JWK, base64url: a stable key id.
absl::StatusOr<std::string> JwkThumbprint(EVP_PKEY* key);

// A public key from one JWK, with the algorithm it is pinned to: RS256 for
// "kty":"RSA" (at least kMinRsaBits), ES256 for "kty":"EC" "crv":"P-256". A
// JWK "alg" that disagrees is refused. INVALID_ARGUMENT naming the problem;
// UNIMPLEMENTED for a key type or algorithm careledger does not accept (the
// caller may skip such keys).
absl::StatusOr<PkeyPtr> PublicKeyFromJwk(const nlohmann::json& jwk, JwsAlgorithm* algorithm);

// The JWS signature of `signing_input` (raw r||s for ES256, PKCS#1 v1.5 for
// RS256). `key` must be of the algorithm's type.
absl::StatusOr<std::string> SignJws(EVP_PKEY* key, JwsAlgorithm algorithm,
                                    std::string_view signing_input);

// True only when `signature` is a valid `algorithm` signature of
// `signing_input` by `key`. Never throws, never logs.
bool VerifyJws(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view signing_input,
               std::string_view signature);

// A compact JWS: base64url(header) "." base64url(payload) "." signature.
// INVALID_ARGUMENT when a string in `header` or `payload` is not UTF-8.
absl::StatusOr<std::string> SignCompactJws(EVP_PKEY* key, JwsAlgorithm algorithm,
                                           const nlohmann::json& header,
                                           const nlohmann::json& payload);

}  // namespace careledger::auth::internal

#endif  // CARELEDGER_AUTH_INTERNAL_KEYS_H_
