#include "auth/dev_issuer.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "auth/internal/files.h"
#include "auth/internal/keys.h"
#include "events/format.h"
#include "events/ids.h"

namespace careledger::auth {

struct DevIssuer::Key {
  internal::PkeyPtr pkey;
};

namespace {

constexpr std::string_view kIssuerDir = "auth/dev-issuer";

}  // namespace

absl::StatusOr<DevIssuer> DevIssuer::OpenOrCreate(const std::string& data_dir) {
  const std::string dir = fmt::format("{}/{}", data_dir, kIssuerDir);
  if (absl::Status made = internal::CreatePrivateDir(dir); !made.ok()) return made;
  absl::StatusOr<internal::PkeyPtr> key = internal::LoadOrCreateEcP256Key(dir + "/private-key.pem");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> kid = internal::JwkThumbprint(key->get());
  if (!kid.ok()) return kid.status();
  absl::StatusOr<nlohmann::json> jwk = internal::PublicJwk(key->get(), *kid);
  if (!jwk.ok()) return jwk.status();
  if ((*jwk)["alg"] != "ES256") {
    return absl::InvalidArgumentError(fmt::format("{}/private-key.pem is not a P-256 key", dir));
  }
  // The JWKS is derived from the key, so it is rewritten whenever it differs.
  const std::string jwks_path = dir + "/jwks.json";
  const std::string jwks = nlohmann::json{{"keys", nlohmann::json::array({*jwk})}}.dump(2) + "\n";
  absl::StatusOr<std::string> existing = internal::ReadWholeFile(jwks_path);
  if (!existing.ok() || *existing != jwks) {
    if (absl::Status written = internal::ReplaceFile(jwks_path, jwks, 0600); !written.ok()) {
      return written;
    }
  }
  auto shared = std::make_shared<Key>();
  shared->pkey = *std::move(key);
  return DevIssuer(std::move(shared), *std::move(kid), jwks_path);
}

absl::StatusOr<std::string> DevIssuer::Mint(const MintRequest& request) const {
  if (request.subject.empty()) return absl::InvalidArgumentError("a token needs a subject");
  if (request.lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("a token's lifetime must be positive");
  }
  const absl::Time start = request.not_before.value_or(absl::Now());
  nlohmann::json payload = {
      {"iss", request.issuer.value_or(issuer())},
      {"sub", request.subject},
      {"aud", request.audience.value_or(audience())},
      {"iat", absl::ToUnixSeconds(start)},
      {"nbf", absl::ToUnixSeconds(start)},
      {"exp", absl::ToUnixSeconds(start + request.lifetime)},
      {"jti", events::RandomUuid()},
  };
  if (request.role_claim) payload["role"] = *request.role_claim;
  if (request.nhs_number) payload["nhs_number"] = *request.nhs_number;
  const nlohmann::json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key_id_}};
  return internal::SignCompactJws(key_->pkey.get(), internal::JwsAlgorithm::kEs256, header,
                                  payload);
}

}  // namespace careledger::auth
