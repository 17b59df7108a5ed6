// Proves what TokenVerifier accepts and refuses, on tokens signed here with
// freshly generated RSA (RS256) and P-256 (ES256) keys published in a JWKS
// file: valid tokens of both kinds and their claims; the time checks with
// and without the clock skew; wrong issuer and audience; bad signatures;
// unknown key ids; "none", HS256 keyed with the RSA public key (the
// algorithm-confusion attack) and ES256 under an RSA key's id; malformed and
// oversized tokens; missing required claims; and bad JWKS files.
#include "auth/token_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "auth/internal/base64url.h"
#include "auth/internal/files.h"
#include "auth/internal/keys.h"
#include "tests/support/test_support.h"

namespace careledger::auth {
namespace {

using ::careledger::testing::IsOk;
using internal::Base64UrlEncode;
using internal::JwsAlgorithm;
using nlohmann::json;

constexpr std::string_view kIssuer = "https://cis2.example.nhs.uk/openam/oauth2/realms/NHSIdentity";
constexpr std::string_view kAudience = "careledger";
const absl::Time kNow = absl::FromUnixSeconds(1767000000);

MATCHER_P(RefusedWith, reason, "is UNAUTHENTICATED with reason \"" + std::string(reason) + "\"") {
  *result_listener << "status " << arg.status();
  return arg.status().code() == absl::StatusCode::kUnauthenticated &&
         arg.status().message() == reason;
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(rsa_, internal::GenerateRsaKey(2048));
    CL_ASSERT_OK_AND_ASSIGN(ec_, internal::GenerateEcP256Key());
    CL_ASSERT_OK_AND_ASSIGN(json rsa_jwk, internal::PublicJwk(rsa_.get(), "rsa-1"));
    CL_ASSERT_OK_AND_ASSIGN(json ec_jwk, internal::PublicJwk(ec_.get(), "ec-1"));
    jwks_path_ = dir_.Sub("jwks.json");
    ASSERT_THAT(WriteJwks({rsa_jwk, ec_jwk}), IsOk());
    CL_ASSERT_OK_AND_ASSIGN(verifier_,
                            TokenVerifier::FromJwksFile(jwks_path_, std::string(kIssuer),
                                                        std::string(kAudience), absl::Seconds(60)));
  }

  absl::Status WriteJwks(const std::vector<json>& keys) {
    return internal::ReplaceFile(jwks_path_, json{{"keys", keys}}.dump(), 0600);
  }

  static json Claims() {
    return {{"iss", kIssuer},
            {"sub", "dr-okafor"},
            {"aud", kAudience},
            {"iat", absl::ToUnixSeconds(kNow) - 60},
            {"nbf", absl::ToUnixSeconds(kNow) - 60},
            {"exp", absl::ToUnixSeconds(kNow) + 3600},
            {"jti", "token-1"}};
  }

  std::string Rs256(const json& claims, const std::string& kid = "rsa-1") {
    return Sign(rsa_.get(), JwsAlgorithm::kRs256, {{"alg", "RS256"}, {"kid", kid}}, claims);
  }
  std::string Es256(const json& claims, const std::string& kid = "ec-1") {
    return Sign(ec_.get(), JwsAlgorithm::kEs256, {{"alg", "ES256"}, {"kid", kid}}, claims);
  }
  // A correctly signed RS256 token whose payload is `payload_bytes`, JSON or not.
  std::string Rs256Raw(std::string_view payload_bytes) {
    const std::string signing_input =
        Base64UrlEncode(json{{"alg", "RS256"}, {"kid", "rsa-1"}}.dump()) + "." +
        Base64UrlEncode(payload_bytes);
    absl::StatusOr<std::string> signature =
        internal::SignJws(rsa_.get(), JwsAlgorithm::kRs256, signing_input);
    EXPECT_THAT(signature, IsOk());
    return signing_input + "." + Base64UrlEncode(signature.value_or(""));
  }
  static std::string Sign(EVP_PKEY* key, JwsAlgorithm algorithm, const json& header,
                          const json& claims) {
    absl::StatusOr<std::string> token = internal::SignCompactJws(key, algorithm, header, claims);
    EXPECT_THAT(token, IsOk());
    return token.value_or("");
  }

  careledger::testing::TempDir dir_;
  internal::PkeyPtr rsa_;
  internal::PkeyPtr ec_;
  std::string jwks_path_;
  std::optional<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, AcceptsValidRs256TokenAndReturnsItsClaims) {
  json claims = Claims();
  claims["aud"] = json::array({"other-service", kAudience});
  claims["selected_roleid"] = "clinician";
  CL_ASSERT_OK_AND_ASSIGN(TokenClaims verified, verifier_->Verify(Rs256(claims), kNow));
  EXPECT_EQ(verified.issuer, kIssuer);
  EXPECT_EQ(verified.subject, "dr-okafor");
  EXPECT_THAT(verified.audiences, ::testing::ElementsAre("other-service", kAudience));
  EXPECT_EQ(verified.expires, kNow + absl::Hours(1));
  EXPECT_EQ(verified.not_before, kNow - absl::Minutes(1));
  EXPECT_EQ(verified.issued_at, kNow - absl::Minutes(1));
  EXPECT_EQ(verified.role_claim, "clinician");
  EXPECT_EQ(verified.nhs_number, "");
  EXPECT_EQ(verified.token_id, "token-1");
}

TEST_F(TokenVerifierTest, AcceptsValidEs256TokenWithNhsNumberAndPlainRole) {
  json claims = Claims();
  claims["nhs_number"] = "9990000018";
  claims["role"] = "patient";
  claims.erase("nbf");
  claims.erase("iat");
  CL_ASSERT_OK_AND_ASSIGN(TokenClaims verified, verifier_->Verify(Es256(claims), kNow));
  EXPECT_EQ(verified.nhs_number, "9990000018");
  EXPECT_EQ(verified.role_claim, "patient");
  EXPECT_EQ(verified.not_before, absl::InfinitePast());
  EXPECT_EQ(verified.issued_at, absl::InfinitePast());
}

TEST_F(TokenVerifierTest, ExpiryAllowsTheSkewAndNoMore) {
  json claims = Claims();
  claims["exp"] = absl::ToUnixSeconds(kNow) - 30;  // expired 30 s ago: within 60 s skew
  EXPECT_THAT(verifier_->Verify(Rs256(claims), kNow), IsOk());
  claims["exp"] = absl::ToUnixSeconds(kNow) - 60;  // exactly the skew: expired
  EXPECT_THAT(verifier_->Verify(Rs256(claims), kNow), RefusedWith("token expired"));
  claims["exp"] = absl::ToUnixSeconds(kNow) - 3600;
  EXPECT_THAT(verifier_->Verify(Es256(claims), kNow), RefusedWith("token expired"));
}

TEST_F(TokenVerifierTest, AnAcceptedTokenIsRememberedButItsTimesAreCheckedEveryTime) {
  const std::string token = Es256(Claims());  // valid from kNow - 1 min to kNow + 1 h
  CL_ASSERT_OK_AND_ASSIGN(TokenClaims first, verifier_->Verify(token, kNow));
  CL_ASSERT_OK_AND_ASSIGN(TokenClaims again, verifier_->Verify(token, kNow + absl::Minutes(5)));
  EXPECT_EQ(again.subject, first.subject);
  EXPECT_EQ(again.expires, first.expires);
  EXPECT_EQ(again.token_id, first.token_id);
  EXPECT_THAT(verifier_->Verify(token, kNow + absl::Hours(2)), RefusedWith("token expired"));
  EXPECT_THAT(verifier_->Verify(token, kNow - absl::Minutes(10)),
              RefusedWith("token not yet valid"));
  // A copy of the verifier shares what was accepted, and its checks.
  const TokenVerifier copy = *verifier_;
  EXPECT_THAT(copy.Verify(token, kNow + absl::Hours(2)), RefusedWith("token expired"));
  EXPECT_THAT(copy.Verify(token, kNow), IsOk());
}

TEST_F(TokenVerifierTest, AnAlteredCopyOfAnAcceptedTokenIsRefused) {
  const std::string token = Rs256(Claims());
  ASSERT_THAT(verifier_->Verify(token, kNow), IsOk());
  std::string altered = token;
  const std::size_t in_signature = token.rfind('.') + 10;
  altered[in_signature] = altered[in_signature] == 'A' ? 'B' : 'A';
  EXPECT_THAT(verifier_->Verify(altered, kNow), RefusedWith("bad signature"));
  // A payload that differs (another subject), signature kept: refused too.
  json other = Claims();
  other["sub"] = "someone-else";
  const std::string other_token = Rs256(other);
  std::string spliced =
      other_token.substr(0, other_token.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_THAT(verifier_->Verify(spliced, kNow), RefusedWith("bad signature"));
  EXPECT_THAT(verifier_->Verify(token, kNow), IsOk()) << "the original is still accepted";
}

TEST_F(TokenVerifierTest, NotBeforeAllowsTheSkewAndNoMore) {
  json claims = Claims();
  claims["nbf"] = absl::ToUnixSeconds(kNow) + 60;  // the clocks may differ by 60 s
  EXPECT_THAT(verifier_->Verify(Rs256(claims), kNow), IsOk());
  claims["nbf"] = absl::ToUnixSeconds(kNow) + 61;
  EXPECT_THAT(verifier_->Verify(Rs256(claims), kNow), RefusedWith("token not yet valid"));
}

TEST_F(TokenVerifierTest, RefusesWrongIssuerAndAudience) {
  json claims = Claims();
  claims["iss"] = "https://evil.example";
  EXPECT_THAT(verifier_->Verify(Rs256(claims), kNow), RefusedWith("wrong issuer"));
  claims = Claims();
  claims["aud"] = json::array({"another-service"});
  EXPECT_THAT(verifier_->Verify(Es256(claims), kNow), RefusedWith("wrong audience"));
  claims["aud"] = "careledger-staging";
  EXPECT_THAT(verifier_->Verify(Es256(claims), kNow), RefusedWith("wrong audience"));
}

TEST_F(TokenVerifierTest, RefusesBadSignatures) {
  // The claims changed after signing: a longer lifetime, say.
  const std::string token = Rs256(Claims());
  json changed = Claims();
  changed["exp"] = absl::ToUnixSeconds(kNow) + 86400;
  const std::string header = token.substr(0, token.find('.'));
  const std::string signature = token.substr(token.rfind('.') + 1);
  EXPECT_THAT(
      verifier_->Verify(header + "." + Base64UrlEncode(changed.dump()) + "." + signature, kNow),
      RefusedWith("bad signature"));
  // Signed by another key under a known kid.
  CL_ASSERT_OK_AND_ASSIGN(internal::PkeyPtr other_rsa, internal::GenerateRsaKey(2048));
  CL_ASSERT_OK_AND_ASSIGN(internal::PkeyPtr other_ec, internal::GenerateEcP256Key());
  EXPECT_THAT(verifier_->Verify(Sign(other_rsa.get(), JwsAlgorithm::kRs256,
                                     {{"alg", "RS256"}, {"kid", "rsa-1"}}, Claims()),
                                kNow),
              RefusedWith("bad signature"));
  EXPECT_THAT(verifier_->Verify(Sign(other_ec.get(), JwsAlgorithm::kEs256,
                                     {{"alg", "ES256"}, {"kid", "ec-1"}}, Claims()),
                                kNow),
              RefusedWith("bad signature"));
  // An ES256 signature of the wrong length.
  const std::string es = Es256(Claims());
  EXPECT_THAT(verifier_->Verify(es.substr(0, es.rfind('.') + 1) + Base64UrlEncode("short"), kNow),
              RefusedWith("bad signature"));
}

TEST_F(TokenVerifierTest, RefusesUnknownOrMissingKeyId) {
  EXPECT_THAT(verifier_->Verify(Rs256(Claims(), "rsa-2"), kNow), RefusedWith("unknown key id"));
  EXPECT_THAT(
      verifier_->Verify(Sign(rsa_.get(), JwsAlgorithm::kRs256, {{"alg", "RS256"}}, Claims()), kNow),
      RefusedWith("unknown key id"));
}

TEST_F(TokenVerifierTest, RefusesAlgNone) {
  for (const json& header : {json{{"alg", "none"}, {"kid", "rsa-1"}}, json{{"alg", "none"}}}) {
    const std::string token =
        Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(Claims().dump()) + ".";
    // The unsigned form has no third part at all; with one, the alg is refused.
    EXPECT_THAT(verifier_->Verify(token, kNow), RefusedWith("malformed token"));
    EXPECT_THAT(verifier_->Verify(token + Base64UrlEncode("x"), kNow),
                RefusedWith("algorithm not allowed"));
  }
}

// The classic attack: the RSA public key is public, so an attacker signs
// HS256 with its PEM as the HMAC secret and hopes the verifier feeds the
// same bytes to HMAC. Here the signature is a correct HMAC, so only the
// algorithm pinning can refuse it.
TEST_F(TokenVerifierTest, RefusesHs256KeyedWithTheRsaPublicKey) {
  CL_ASSERT_OK_AND_ASSIGN(std::string public_pem, internal::PublicKeyToPem(rsa_.get()));
  const std::string signing_input =
      Base64UrlEncode(json{{"alg", "HS256"}, {"kid", "rsa-1"}}.dump()) + "." +
      Base64UrlEncode(Claims().dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  ASSERT_NE(HMAC(EVP_sha256(), public_pem.data(), static_cast<int>(public_pem.size()),
                 reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
                 mac, &mac_length),
            nullptr);
  const std::string token =
      signing_input + "." +
      Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_length));
  EXPECT_THAT(verifier_->Verify(token, kNow), RefusedWith("algorithm not allowed"));
}

TEST_F(TokenVerifierTest, RefusesAnAlgorithmThatDoesNotMatchTheKey) {
  // ES256 (signed by the EC key) presented under the RSA key's id, and the
  // other way round: the key pins the algorithm.
  EXPECT_THAT(verifier_->Verify(Sign(ec_.get(), JwsAlgorithm::kEs256,
                                     {{"alg", "ES256"}, {"kid", "rsa-1"}}, Claims()),
                                kNow),
              RefusedWith("algorithm not allowed"));
  EXPECT_THAT(verifier_->Verify(Sign(rsa_.get(), JwsAlgorithm::kRs256,
                                     {{"alg", "RS256"}, {"kid", "ec-1"}}, Claims()),
                                kNow),
              RefusedWith("algorithm not allowed"));
  EXPECT_THAT(verifier_->Verify(Sign(rsa_.get(), JwsAlgorithm::kRs256,
                                     {{"alg", "PS256"}, {"kid", "rsa-1"}}, Claims()),
                                kNow),
              RefusedWith("algorithm not allowed"));
}

TEST_F(TokenVerifierTest, RefusesMalformedTokens) {
  const std::string good = Rs256(Claims());
  const std::string header = good.substr(0, good.find('.'));
  const std::string signature = good.substr(good.rfind('.') + 1);
  for (const std::string& token : std::vector<std::string>{
           "", "abc", "a.b", good + ".extra", "..", header + "..", "!!!." + header + ".abc",
           Rs256Raw("not json"), Rs256Raw("[1,2]"), Rs256Raw("{\"sub\":"),
           Base64UrlEncode("{\"alg\":") + ".e30." + signature,
           good + "=",  // padding is not base64url
       }) {
    EXPECT_THAT(verifier_->Verify(token, kNow), RefusedWith("malformed token")) << token;
  }
  // A payload that is not base64url (signed as it stands).
  const std::string bad_base64 = header + ".not*base64";
  CL_ASSERT_OK_AND_ASSIGN(std::string bad_base64_signature,
                          internal::SignJws(rsa_.get(), JwsAlgorithm::kRs256, bad_base64));
  EXPECT_THAT(verifier_->Verify(bad_base64 + "." + Base64UrlEncode(bad_base64_signature), kNow),
              RefusedWith("malformed token"));
  // A header that is JSON but no object, and a "crit" extension nobody knows.
  EXPECT_THAT(verifier_->Verify(Base64UrlEncode("\"RS256\"") + good.substr(good.find('.')), kNow),
              RefusedWith("malformed token"));
  EXPECT_THAT(
      verifier_->Verify(Sign(rsa_.get(), JwsAlgorithm::kRs256,
                             {{"alg", "RS256"}, {"kid", "rsa-1"}, {"crit", {"exp"}}}, Claims()),
                        kNow),
      RefusedWith("malformed token"));
}

TEST_F(TokenVerifierTest, RefusesOversizedTokensUnread) {
  json claims = Claims();
  claims["padding"] = std::string(kMaxTokenBytes, 'x');
  EXPECT_THAT(verifier_->Verify(Rs256(claims), kNow), RefusedWith("token too large"));
  EXPECT_THAT(verifier_->Verify(std::string(kMaxTokenBytes + 1, 'a'), kNow),
              RefusedWith("token too large"));
}

TEST_F(TokenVerifierTest, RefusesMissingOrMistypedRequiredClaims) {
  for (const char* claim : {"exp", "sub", "iss", "aud"}) {
    json claims = Claims();
    claims.erase(claim);
    EXPECT_THAT(verifier_->Verify(Es256(claims), kNow),
                RefusedWith(std::string("missing claim ") + claim));
  }
  json claims = Claims();
  claims["exp"] = "tomorrow";
  EXPECT_THAT(verifier_->Verify(Es256(claims), kNow), RefusedWith("malformed token"));
  claims = Claims();
  claims["sub"] = "";
  EXPECT_THAT(verifier_->Verify(Es256(claims), kNow), RefusedWith("malformed token"));
  claims = Claims();
  claims["nhs_number"] = 9990000018;
  EXPECT_THAT(verifier_->Verify(Es256(claims), kNow), RefusedWith("malformed token"));
}

TEST_F(TokenVerifierTest, RefusesBadKeySets) {
  const auto open = [&] {
    return TokenVerifier::FromJwksFile(jwks_path_, std::string(kIssuer), std::string(kAudience))
        .status()
        .code();
  };
  CL_ASSERT_OK_AND_ASSIGN(json rsa_jwk, internal::PublicJwk(rsa_.get(), "rsa-1"));
  // Only keys careledger would not use: none left.
  ASSERT_THAT(WriteJwks({json{{"kty", "oct"}, {"kid", "h"}, {"k", "c2VjcmV0"}}}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  ASSERT_THAT(WriteJwks({json{{"kty", "OKP"}, {"kid", "h"}, {"crv", "Ed25519"}, {"x", "AA"}}}),
              IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  // Two keys under one kid, a key without kid, an RSA key claiming ES256.
  ASSERT_THAT(WriteJwks({rsa_jwk, rsa_jwk}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  json no_kid = rsa_jwk;
  no_kid.erase("kid");
  ASSERT_THAT(WriteJwks({no_kid}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  json wrong_alg = rsa_jwk;
  wrong_alg["alg"] = "ES256";
  ASSERT_THAT(WriteJwks({wrong_alg}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  // An EC point off the curve, a short RSA key, private material.
  CL_ASSERT_OK_AND_ASSIGN(json ec_jwk, internal::PublicJwk(ec_.get(), "ec-1"));
  json off_curve = ec_jwk;
  off_curve["y"] = off_curve["x"];
  ASSERT_THAT(WriteJwks({off_curve}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  CL_ASSERT_OK_AND_ASSIGN(internal::PkeyPtr short_rsa, internal::GenerateRsaKey(1024));
  CL_ASSERT_OK_AND_ASSIGN(json short_jwk, internal::PublicJwk(short_rsa.get(), "short"));
  ASSERT_THAT(WriteJwks({short_jwk}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  json with_private = ec_jwk;
  with_private["d"] = "AAAA";
  ASSERT_THAT(WriteJwks({with_private}), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  ASSERT_THAT(internal::ReplaceFile(jwks_path_, "not json", 0600), IsOk());
  EXPECT_EQ(open(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenVerifier::FromJwksFile(dir_.Sub("missing.json"), "i", "a").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace careledger::auth
