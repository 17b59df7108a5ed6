#include "auth/token_verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "auth/internal/base64url.h"
#include "auth/internal/files.h"
#include "auth/internal/keys.h"
#include "events/format.h"

namespace careledger::auth {

using internal::JwsAlgorithm;

struct TokenVerifier::KeySet {
  struct PinnedKey {
    JwsAlgorithm algorithm;
    internal::PkeyPtr key;
  };
  absl::flat_hash_map<std::string, PinnedKey> by_kid;
};

namespace {

absl::Status Refuse(std::string_view reason) {
  return absl::UnauthenticatedError(absl::string_view(reason.data(), reason.size()));
}

// A JSON object from base64url, or nullopt.
std::optional<nlohmann::json> DecodeJsonObject(std::string_view part) {
  std::optional<std::string> bytes = internal::Base64UrlDecode(part);
  if (!bytes) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// A NumericDate (RFC 7519 §2): seconds since the epoch, integer or not.
std::optional<absl::Time> NumericDate(const nlohmann::json& value) {
  constexpr double kBound = 1e11;  // about year 5138: beyond is nonsense
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(kBound)) {
      return std::nullopt;
    }
    const std::int64_t seconds = value.get<std::int64_t>();
    if (std::abs(static_cast<double>(seconds)) > kBound) return std::nullopt;
    return absl::FromUnixSeconds(seconds);
  }
  if (value.is_number_float()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds) || std::abs(seconds) > kBound) return std::nullopt;
    return absl::UnixEpoch() + absl::Seconds(seconds);
  }
  return std::nullopt;
}

// The string member `name`: "" when absent, nullopt when not a string.
std::optional<std::string> OptionalString(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<TokenVerifier> TokenVerifier::FromJwksFile(const std::string& jwks_path,
                                                          std::string issuer, std::string audience,
                                                          absl::Duration clock_skew) {
  if (issuer.empty() || audience.empty()) {
    return absl::InvalidArgumentError("a token verifier needs an issuer and an audience");
  }
  if (clock_skew < absl::ZeroDuration() || clock_skew > absl::Minutes(5)) {
    return absl::InvalidArgumentError("the clock skew must be between 0 and 5 minutes");
  }
  absl::StatusOr<std::string> text = internal::ReadWholeFile(jwks_path);
  if (!text.ok()) return text.status();
  const nlohmann::json jwks = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not a JSON Web Key Set ({{\"keys\": [...]}})", jwks_path));
  }
  auto keys = std::make_shared<KeySet>();
  for (const nlohmann::json& jwk : jwks["keys"]) {
    JwsAlgorithm algorithm;
    absl::StatusOr<internal::PkeyPtr> key = internal::PublicKeyFromJwk(jwk, &algorithm);
    if (absl::IsUnimplemented(key.status())) continue;  // not a key careledger accepts
    if (!key.ok()) {
      return absl::InvalidArgumentError(fmt::format("{}: {}", jwks_path, key.status().message()));
    }
    auto kid = jwk.find("kid");
    if (kid == jwk.end() || !kid->is_string() || kid->get<std::string>().empty()) {
      return absl::InvalidArgumentError(fmt::format("{}: a key has no \"kid\"", jwks_path));
    }
    auto [it, inserted] = keys->by_kid.try_emplace(kid->get<std::string>(),
                                                   KeySet::PinnedKey{algorithm, *std::move(key)});
    if (!inserted) {
      return absl::InvalidArgumentError(
          fmt::format("{}: two keys have the kid {}", jwks_path, kid->dump()));
    }
  }
  if (keys->by_kid.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{} holds no RS256 or ES256 signing key", jwks_path));
  }
  return TokenVerifier(std::move(keys), std::move(issuer), std::move(audience), clock_skew);
}

struct TokenVerifier::AcceptedTokens {
  std::mutex mutex;
  absl::flat_hash_map<std::string, TokenClaims> claims;  // by the whole compact token
};

std::shared_ptr<TokenVerifier::AcceptedTokens> TokenVerifier::NoAcceptedTokens() {
  return std::make_shared<AcceptedTokens>();
}

absl::StatusOr<TokenClaims> TokenVerifier::Verify(std::string_view compact_jwt,
                                                  absl::Time now) const {
  if (compact_jwt.size() > kMaxTokenBytes) return Refuse("token too large");
  std::optional<TokenClaims> remembered;
  {
    std::lock_guard<std::mutex> lock(accepted_->mutex);
    auto found = accepted_->claims.find(absl::string_view(compact_jwt.data(), compact_jwt.size()));
    if (found != accepted_->claims.end()) remembered = found->second;
  }
  if (remembered) {
    // Same bytes, same keys: the signature and the claims verified before.
    // Only the times can have changed.
    if (now >= remembered->expires + clock_skew_) return Refuse("token expired");
    if (now + clock_skew_ < remembered->not_before) return Refuse("token not yet valid");
    return *std::move(remembered);
  }
  absl::StatusOr<TokenClaims> claims = VerifyWhole(compact_jwt, now);
  if (claims.ok()) {
    std::lock_guard<std::mutex> lock(accepted_->mutex);
    if (accepted_->claims.size() >= kAcceptedTokensKept) accepted_->claims.clear();
    accepted_->claims.emplace(std::string(compact_jwt), *claims);
  }
  return claims;
}

absl::StatusOr<TokenClaims> TokenVerifier::VerifyWhole(std::string_view compact_jwt,
                                                       absl::Time now) const {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dot = compact_jwt.find('.', start);
    parts.push_back(compact_jwt.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return Refuse("malformed token");
  }
  const std::optional<nlohmann::json> header = DecodeJsonObject(parts[0]);
  if (!header) return Refuse("malformed token");

  // The algorithm: the token only names it; the key decides it.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return Refuse("malformed token");
  const std::string alg_name = alg->get<std::string>();
  if (alg_name != "RS256" && alg_name != "ES256") return Refuse("algorithm not allowed");
  // Extensions that must be understood (RFC 7515 §4.1.11): careledger knows none.
  if (header->contains("crit")) return Refuse("malformed token");
  auto kid = header->find("kid");
  if (kid == header->end() || !kid->is_string()) return Refuse("unknown key id");
  auto key = keys_->by_kid.find(kid->get<std::string>());
  if (key == keys_->by_kid.end()) return Refuse("unknown key id");
  if (internal::AlgorithmName(key->second.algorithm) != alg_name) {
    return Refuse("algorithm not allowed");
  }
  const std::optional<std::string> signature = internal::Base64UrlDecode(parts[2]);
  if (!signature) return Refuse("malformed token");
  const std::string_view signing_input =
      compact_jwt.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!internal::VerifyJws(key->second.key.get(), key->second.algorithm, signing_input,
                           *signature)) {
    return Refuse("bad signature");
  }

  const std::optional<nlohmann::json> payload = DecodeJsonObject(parts[1]);
  if (!payload) return Refuse("malformed token");
  TokenClaims claims;
  claims.issued_at = claims.not_before = absl::InfinitePast();

  auto iss = payload->find("iss");
  if (iss == payload->end()) return Refuse("missing claim iss");
  if (!iss->is_string() || iss->get<std::string>() != issuer_) return Refuse("wrong issuer");
  claims.issuer = iss->get<std::string>();

  auto aud = payload->find("aud");
  if (aud == payload->end()) return Refuse("missing claim aud");
  if (aud->is_string()) {
    claims.audiences.push_back(aud->get<std::string>());
  } else if (aud->is_array()) {
    for (const nlohmann::json& one : *aud) {
      if (!one.is_string()) return Refuse("malformed token");
      claims.audiences.push_back(one.get<std::string>());
    }
  } else {
    return Refuse("malformed token");
  }
  if (std::find(claims.audiences.begin(), claims.audiences.end(), audience_) ==
      claims.audiences.end()) {
    return Refuse("wrong audience");
  }

  auto exp = payload->find("exp");
  if (exp == payload->end()) return Refuse("missing claim exp");
  const std::optional<absl::Time> expires = NumericDate(*exp);
  if (!expires) return Refuse("malformed token");
  claims.expires = *expires;
  if (now >= claims.expires + clock_skew_) return Refuse("token expired");
  if (auto nbf = payload->find("nbf"); nbf != payload->end()) {
    const std::optional<absl::Time> not_before = NumericDate(*nbf);
    if (!not_before) return Refuse("malformed token");
    claims.not_before = *not_before;
    if (now + clock_skew_ < claims.not_before) return Refuse("token not yet valid");
  }
  if (auto iat = payload->find("iat"); iat != payload->end()) {
    const std::optional<absl::Time> issued_at = NumericDate(*iat);
    if (!issued_at) return Refuse("malformed token");
    claims.issued_at = *issued_at;
  }

  auto sub = payload->find("sub");
  if (sub == payload->end()) return Refuse("missing claim sub");
  if (!sub->is_string() || sub->get<std::string>().empty()) return Refuse("malformed token");
  claims.subject = sub->get<std::string>();

  const std::optional<std::string> selected_role = OptionalString(*payload, "selected_roleid");
  const std::optional<std::string> role = OptionalString(*payload, "role");
  const std::optional<std::string> nhs_number = OptionalString(*payload, "nhs_number");
  const std::optional<std::string> token_id = OptionalString(*payload, "jti");
  if (!selected_role || !role || !nhs_number || !token_id) return Refuse("malformed token");
  claims.role_claim = !selected_role->empty() ? *selected_role : *role;
  claims.nhs_number = *nhs_number;
  claims.token_id = *token_id;
  return claims;
}

}  // namespace careledger::auth
