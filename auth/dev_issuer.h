// DevIssuer: the local development token issuer a data directory holds, so
// demos and tests can call the service with real, verifiable tokens and no
// identity provider. Production configures a real issuer (NHS CIS2, NHS
// login) instead: its JWKS file, issuer URL and audience (docs/authentication.md).
//
// Layout, under <data>/auth/dev-issuer/ (the directory 0700):
//   private-key.pem  the ES256 (P-256) signing key, PKCS#8, mode 0600
//   jwks.json        its public JSON Web Key Set, kid = RFC 7638 thumbprint
// OpenOrCreate makes both on first use and reuses them after.
//
// Not thread-safe while OpenOrCreate runs; Mint may be called from any thread.
#ifndef CARELEDGER_AUTH_DEV_ISSUER_H_
#define CARELEDGER_AUTH_DEV_ISSUER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace careledger::auth {

inline constexpr std::string_view kDevIssuerUrl = "https://careledger.invalid/dev-issuer";
inline constexpr std::string_view kDefaultAudience = "careledger";

struct MintRequest {
  std::string subject = "";                              // the directory user id ("sub")
  std::optional<std::string> role_claim = std::nullopt;  // written as "role"
  std::optional<std::string> nhs_number = std::nullopt;  // written as "nhs_number"
  absl::Duration lifetime = absl::Hours(1);
  std::optional<std::string> audience = std::nullopt;  // default kDefaultAudience
  // The token's "iat" and "nbf"; default now. Tests move it to mint expired
  // (in the past) and future tokens.
  std::optional<absl::Time> not_before = std::nullopt;
  // The "iss" to write; default kDevIssuerUrl. Tests mint wrong-issuer tokens.
  std::optional<std::string> issuer = std::nullopt;
};

class DevIssuer {
 public:
  // Opens the issuer of `data_dir`, creating its key and JWKS when absent.
  // INVALID_ARGUMENT when the key file is not a P-256 key or does not match
  // the JWKS; INTERNAL for I/O failures.
  static absl::StatusOr<DevIssuer> OpenOrCreate(const std::string& data_dir);

  // A signed compact JWT: iss, sub, aud, iat, nbf, exp, jti (random), and the
  // optional claims. INVALID_ARGUMENT for an empty subject or a lifetime
  // that is not positive.
  absl::StatusOr<std::string> Mint(const MintRequest& request) const;

  std::string issuer() const { return std::string(kDevIssuerUrl); }
  std::string audience() const { return std::string(kDefaultAudience); }
  const std::string& jwks_path() const { return jwks_path_; }
  const std::string& key_id() const { return key_id_; }

 private:
  struct Key;
  DevIssuer(std::shared_ptr<const Key> key, std::string key_id, std::string jwks_path)
      : key_(std::move(key)), key_id_(std::move(key_id)), jwks_path_(std::move(jwks_path)) {}

  std::shared_ptr<const Key> key_;
  std::string key_id_;
  std::string jwks_path_;
};

}  // namespace careledger::auth

#endif  // CARELEDGER_AUTH_DEV_ISSUER_H_
