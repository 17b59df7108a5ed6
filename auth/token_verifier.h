// TokenVerifier: who a bearer token says the caller is, once its signature,
// issuer, audience and times are checked (OpenID Connect ID/access tokens as
// NHS CIS2 issues them for staff and NHS login for patients).
//
// The issuer's keys come from a JSON Web Key Set file. Each key is pinned to
// one algorithm by its type (RSA -> RS256, EC P-256 -> ES256); the token's
// "alg" header must name that algorithm, so "none", HS256 and a token signed
// for another key type (the algorithm-confusion attack) are refused before
// any signature check.
//
// Every refusal is UNAUTHENTICATED with a short reason that is safe to show
// the caller and to log (it never echoes token content): "token too large",
// "malformed token", "algorithm not allowed", "unknown key id", "bad
// signature", "wrong issuer", "wrong audience", "token expired", "token not
// yet valid", "missing claim <name>".
//
// Accepted tokens are remembered (up to kAcceptedTokensKept, then forgotten
// all at once), keyed by the whole compact token: the same bytes under the
// same keys verify the same way, so a caller presenting its token again skips
// the signature check (an ES256 verification is about a tenth of a
// millisecond: a tenth of a core at a thousand reads a second). The times are
// checked again on every call; refusals are never remembered.
//
// Thread safety: a TokenVerifier's keys are immutable after FromJwksFile;
// Verify may be called from any number of threads at once (the remembered
// tokens are internally synchronised). Copies share the keys and the
// remembered tokens.
#ifndef CARELEDGER_AUTH_TOKEN_VERIFIER_H_
#define CARELEDGER_AUTH_TOKEN_VERIFIER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace careledger::auth {

// Tokens longer than this are refused unread ("token too large").
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;
// How many accepted tokens Verify remembers.
inline constexpr std::size_t kAcceptedTokensKept = 4096;

// What a verified token says. Times are the claims as given (the skew is
// applied when checking, not here); absent optional ones are
// absl::InfinitePast().
struct TokenClaims {
  std::string issuer, subject;
  std::vector<std::string> audiences;
  absl::Time issued_at, not_before, expires;
  std::string role_claim;  // "selected_roleid" (NHS CIS2), else "role"; "" if none
  std::string nhs_number;  // "nhs_number" (NHS login); "" if none
  std::string token_id;    // "jti"; "" if none
};

class TokenVerifier {
 public:
  // Reads the JWKS at `jwks_path` ({"keys": [...]}). Keys of other types or
  // for other uses (encryption) are skipped; a malformed key, a key with
  // private material, a duplicate or missing "kid", or a set with no usable
  // key is INVALID_ARGUMENT; an unreadable file NOT_FOUND or INTERNAL.
  // Tokens must carry `issuer` as "iss" and `audience` among "aud".
  static absl::StatusOr<TokenVerifier> FromJwksFile(const std::string& jwks_path,
                                                    std::string issuer, std::string audience,
                                                    absl::Duration clock_skew = absl::Seconds(60));

  // The claims of `compact_jwt` (a JWS in compact form) if it is valid at
  // `now`: signed by the set's key named by "kid" with that key's algorithm;
  // "iss" equal to the issuer; "aud" (a string or an array) containing the
  // audience; "sub" a non-empty string; "exp" a number with now < exp + skew;
  // "nbf", when present, <= now + skew. UNAUTHENTICATED otherwise (above).
  absl::StatusOr<TokenClaims> Verify(std::string_view compact_jwt, absl::Time now) const;

  const std::string& issuer() const { return issuer_; }
  const std::string& audience() const { return audience_; }

 private:
  struct KeySet;
  struct AcceptedTokens;
  TokenVerifier(std::shared_ptr<const KeySet> keys, std::string issuer, std::string audience,
                absl::Duration clock_skew)
      : keys_(std::move(keys)),
        accepted_(NoAcceptedTokens()),
        issuer_(std::move(issuer)),
        audience_(std::move(audience)),
        clock_skew_(clock_skew) {}

  static std::shared_ptr<AcceptedTokens> NoAcceptedTokens();
  // Verify without the remembered tokens: every check.
  absl::StatusOr<TokenClaims> VerifyWhole(std::string_view compact_jwt, absl::Time now) const;

  std::shared_ptr<const KeySet> keys_;
  std::shared_ptr<AcceptedTokens> accepted_;
  std::string issuer_;
  std::string audience_;
  absl::Duration clock_skew_;
};

}  // namespace careledger::auth

#endif  // CARELEDGER_AUTH_TOKEN_VERIFIER_H_
