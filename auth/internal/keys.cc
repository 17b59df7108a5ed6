#include "auth/internal/keys.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <array>

#include "auth/internal/base64url.h"
#include "auth/internal/files.h"
#include "events/format.h"
#include "events/sha256.h"

namespace careledger::auth::internal {
namespace {

constexpr int kP256CoordinateSize = 32;
constexpr std::string_view kP256GroupName = "prime256v1";

absl::Status OpenSslFailure(std::string_view what) {
  return absl::InternalError(fmt::format("{}: {}", what, OpenSslError()));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool IsRsa(EVP_PKEY* key) { return EVP_PKEY_is_a(key, "RSA") == 1; }

bool IsP256(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return false;
  std::array<char, 64> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &length) != 1) {
    return false;
  }
  return std::string_view(group.data(), length) == kP256GroupName;
}

bool KeyFitsAlgorithm(EVP_PKEY* key, JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::kRs256 ? IsRsa(key) : IsP256(key);
}

// A BIGNUM parameter of `key`, big-endian, left-padded to `width` (0 = as is).
absl::StatusOr<std::string> BnParam(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return OpenSslFailure(name);
  OpenSslPtr<BIGNUM> bn(raw);
  const int size = width > 0 ? width : BN_num_bytes(bn.get());
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), size) != size) {
    return OpenSslFailure(name);
  }
  return bytes;
}

// The base64url member `name` of `jwk`; INVALID_ARGUMENT when missing or bad.
absl::StatusOr<std::string> JwkBytes(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return absl::InvalidArgumentError(fmt::format("JWK has no \"{}\"", name));
  }
  std::optional<std::string> bytes = Base64UrlDecode(it->get<std::string>());
  if (!bytes || bytes->empty()) {
    return absl::InvalidArgumentError(fmt::format("JWK \"{}\" is not base64url", name));
  }
  return *std::move(bytes);
}

absl::StatusOr<PkeyPtr> FromParams(const char* type, OSSL_PARAM_BLD* builder) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  OpenSslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  const bool made = params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                    EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  PkeyPtr key(raw);
  if (!made) return absl::InvalidArgumentError("JWK is not a valid public key: " + OpenSslError());
  OpenSslPtr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError("JWK is not a valid public key: " + OpenSslError());
  }
  return key;
}

absl::StatusOr<PkeyPtr> RsaFromJwk(const nlohmann::json& jwk) {
  absl::StatusOr<std::string> n = JwkBytes(jwk, "n");
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> e = JwkBytes(jwk, "e");
  if (!e.ok()) return e.status();
  OpenSslPtr<BIGNUM> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                                    static_cast<int>(n->size()), nullptr));
  OpenSslPtr<BIGNUM> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                                    static_cast<int>(e->size()), nullptr));
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  if (builder == nullptr || bn_n == nullptr || bn_e == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    OSSL_PARAM_BLD_free(builder);
    return OpenSslFailure("RSA JWK");
  }
  absl::StatusOr<PkeyPtr> key = FromParams("RSA", builder);
  OSSL_PARAM_BLD_free(builder);
  if (!key.ok()) return key.status();
  if (EVP_PKEY_get_bits(key->get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(fmt::format("RSA JWK has {} bits, fewer than {}",
                                                  EVP_PKEY_get_bits(key->get()), kMinRsaBits));
  }
  return key;
}

absl::StatusOr<PkeyPtr> P256FromJwk(const nlohmann::json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return absl::InvalidArgumentError("EC JWK has no crv");
  if (crv->get<std::string>() != "P-256") {
    return absl::UnimplementedError("EC JWK on a curve other than P-256");
  }
  absl::StatusOr<std::string> x = JwkBytes(jwk, "x");
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = JwkBytes(jwk, "y");
  if (!y.ok()) return y.status();
  if (x->size() != kP256CoordinateSize || y->size() != kP256CoordinateSize) {
    return absl::InvalidArgumentError("EC JWK coordinates are not 32 bytes");
  }
  const std::string point = "\x04" + *x + *y;  // uncompressed (SEC 1 §2.3.3)
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, kP256GroupName.data(),
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    OSSL_PARAM_BLD_free(builder);
    return OpenSslFailure("EC JWK");
  }
  absl::StatusOr<PkeyPtr> key = FromParams("EC", builder);
  OSSL_PARAM_BLD_free(builder);
  return key;
}

}  // namespace

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

std::string_view AlgorithmName(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::kRs256 ? "RS256" : "ES256";
}

absl::StatusOr<PkeyPtr> GenerateEcP256Key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kP256GroupName.data()));
  if (key == nullptr) return OpenSslFailure("generating a P-256 key");
  return key;
}

absl::StatusOr<PkeyPtr> GenerateRsaKey(int bits) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  if (key == nullptr) return OpenSslFailure("generating an RSA key");
  return key;
}

absl::StatusOr<std::string> PrivateKeyToPem(EVP_PKEY* key) {
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("writing a private key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<PkeyPtr> PrivateKeyFromPem(std::string_view pem) {
  OpenSslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key == nullptr) {
    return absl::InvalidArgumentError("not a PEM private key: " + OpenSslError());
  }
  return key;
}

absl::StatusOr<std::string> PublicKeyToPem(EVP_PKEY* key) {
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return OpenSslFailure("writing a public key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<nlohmann::json> PublicJwk(EVP_PKEY* key, std::string_view kid) {
  nlohmann::json jwk;
  if (IsRsa(key)) {
    absl::StatusOr<std::string> n = BnParam(key, OSSL_PKEY_PARAM_RSA_N);
    if (!n.ok()) return n.status();
    absl::StatusOr<std::string> e = BnParam(key, OSSL_PKEY_PARAM_RSA_E);
    if (!e.ok()) return e.status();
    jwk = {
        {"kty", "RSA"}, {"n", Base64UrlEncode(*n)}, {"e", Base64UrlEncode(*e)}, {"alg", "RS256"}};
  } else if (IsP256(key)) {
    absl::StatusOr<std::string> x = BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateSize);
    if (!x.ok()) return x.status();
    absl::StatusOr<std::string> y = BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateSize);
    if (!y.ok()) return y.status();
    jwk = {{"kty", "EC"},
           {"crv", "P-256"},
           {"x", Base64UrlEncode(*x)},
           {"y", Base64UrlEncode(*y)},
           {"alg", "ES256"}};
  } else {
    return absl::InvalidArgumentError("only RSA and EC P-256 keys have a JWK here");
  }
  jwk["kid"] = std::string(kid);
  jwk["use"] = "sig";
  return jwk;
}

absl::StatusOr<std::string> JwkThumbprint(EVP_PKEY* key) {
  absl::StatusOr<nlohmann::json> jwk = PublicJwk(key, "");
  if (!jwk.ok()) return jwk.status();
  // RFC 7638 §3.2: the required members only, sorted, no whitespace;
  // nlohmann::json keeps object members sorted and dump() adds no spaces.
  nlohmann::json required;
  for (const char* member : {"crv", "e", "kty", "n", "x", "y"}) {
    if (jwk->contains(member)) required[member] = (*jwk)[member];
  }
  const events::Hash digest = events::Sha256(required.dump());
  return Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<PkeyPtr> PublicKeyFromJwk(const nlohmann::json& jwk, JwsAlgorithm* algorithm) {
  if (!jwk.is_object()) return absl::InvalidArgumentError("JWK is not a JSON object");
  for (const char* private_member : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (jwk.contains(private_member)) {
      return absl::InvalidArgumentError("JWK holds private key material; publish public keys only");
    }
  }
  auto use = jwk.find("use");
  if (use != jwk.end() && (!use->is_string() || use->get<std::string>() != "sig")) {
    return absl::UnimplementedError("JWK is not for signatures");
  }
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return absl::InvalidArgumentError("JWK has no kty");
  JwsAlgorithm pinned;
  absl::StatusOr<PkeyPtr> key;
  if (kty->get<std::string>() == "RSA") {
    pinned = JwsAlgorithm::kRs256;
    key = RsaFromJwk(jwk);
  } else if (kty->get<std::string>() == "EC") {
    pinned = JwsAlgorithm::kEs256;
    key = P256FromJwk(jwk);
  } else {
    return absl::UnimplementedError(
        fmt::format("JWK key type {} is not accepted", kty->get<std::string>()));
  }
  if (!key.ok()) return key.status();
  auto alg = jwk.find("alg");
  if (alg != jwk.end() && (!alg->is_string() || alg->get<std::string>() != AlgorithmName(pinned))) {
    return absl::UnimplementedError(fmt::format("JWK alg {} is not {}, the one its key type allows",
                                                alg->dump(), AlgorithmName(pinned)));
  }
  *algorithm = pinned;
  return key;
}

absl::StatusOr<std::string> SignJws(EVP_PKEY* key, JwsAlgorithm algorithm,
                                    std::string_view signing_input) {
  if (!KeyFitsAlgorithm(key, algorithm)) {
    return absl::InvalidArgumentError(
        fmt::format("the key cannot sign {}", AlgorithmName(algorithm)));
  }
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, signing_input.size()) != 1) {
    return OpenSslFailure("signing");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     signing_input.size()) != 1) {
    return OpenSslFailure("signing");
  }
  signature.resize(length);
  if (algorithm == JwsAlgorithm::kRs256) return signature;
  // ES256 carries r || s, each 32 bytes (RFC 7518 §3.4), not DER.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  if (parsed == nullptr) return OpenSslFailure("reading an ECDSA signature");
  std::string raw(2 * kP256CoordinateSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const bool ok =
      BN_bn2binpad(ECDSA_SIG_get0_r(parsed), out, kP256CoordinateSize) == kP256CoordinateSize &&
      BN_bn2binpad(ECDSA_SIG_get0_s(parsed), out + kP256CoordinateSize, kP256CoordinateSize) ==
          kP256CoordinateSize;
  ECDSA_SIG_free(parsed);
  if (!ok) return OpenSslFailure("encoding an ECDSA signature");
  return raw;
}

bool VerifyJws(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view signing_input,
               std::string_view signature) {
  if (!KeyFitsAlgorithm(key, algorithm)) return false;
  std::string der_signature;
  if (algorithm == JwsAlgorithm::kEs256) {
    if (signature.size() != 2 * kP256CoordinateSize) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(raw, kP256CoordinateSize, nullptr);
    BIGNUM* s = BN_bin2bn(raw + kP256CoordinateSize, kP256CoordinateSize, nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ECDSA_SIG_free(sig);
      ERR_clear_error();
      return false;
    }
    unsigned char* der = nullptr;
    const int der_length = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (der_length <= 0) {
      ERR_clear_error();
      return false;
    }
    der_signature.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_length));
    OPENSSL_free(der);
    signature = der_signature;
  }
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  const bool valid =
      ctx != nullptr && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();
  return valid;
}

absl::StatusOr<std::string> SignCompactJws(EVP_PKEY* key, JwsAlgorithm algorithm,
                                           const nlohmann::json& header,
                                           const nlohmann::json& payload) {
  std::string signing_input;
  try {
    signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  } catch (const nlohmann::json::exception&) {  // dump() throws on invalid UTF-8
    return absl::InvalidArgumentError("a token's header and claims must be valid UTF-8");
  }
  absl::StatusOr<std::string> signature = SignJws(key, algorithm, signing_input);
  if (!signature.ok()) return signature.status();
  return signing_input + "." + Base64UrlEncode(*signature);
}

absl::StatusOr<PkeyPtr> LoadOrCreateEcP256Key(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> pem = internal::ReadWholeFile(path);
    if (pem.ok()) {
      absl::StatusOr<PkeyPtr> key = internal::PrivateKeyFromPem(*pem);
      if (!key.ok()) {
        return absl::InvalidArgumentError(fmt::format("{}: {}", path, key.status().message()));
      }
      return key;
    }
    if (!absl::IsNotFound(pem.status())) return pem.status();
    absl::StatusOr<PkeyPtr> key = internal::GenerateEcP256Key();
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> new_pem = internal::PrivateKeyToPem(key->get());
    if (!new_pem.ok()) return new_pem.status();
    absl::Status stored = internal::CreateNewFile(path, *new_pem, 0600);
    if (stored.ok()) return key;
    if (!absl::IsAlreadyExists(stored)) return stored;
  }
  return absl::InternalError(fmt::format("{} appears and disappears", path));
}

}  // namespace careledger::auth::internal
