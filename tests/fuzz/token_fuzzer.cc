// Fuzzes the bearer-token verifier (auth/token_verifier.h): what the service
// does with an Authorization header before anything else.
//
// Proves, for any bytes: Verify never crashes, hangs or throws; it answers
// OK or UNAUTHENTICATED and nothing else; and it accepts only a token that
// this issuer's key signed, whose issuer is the configured one, whose
// audiences contain the configured one, whose subject is not empty and
// which is unexpired at the time asked. To get past the signature, half the
// inputs are signed here: the fuzzer then explores the claims parser.
//
// Input: one byte, the mode (even: the second piece is the token as it
// stands; odd: the first two pieces are a JWS header and payload, any
// bytes, signed with the issuer's ES256 key into a compact token); then the
// pieces (tests/fuzz/fuzz_input.h).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/internal/base64url.h"
#include "auth/internal/keys.h"
#include "auth/token_verifier.h"
#include "tests/fuzz/fuzz_input.h"

namespace careledger::fuzz {
namespace {

constexpr char kIssuer[] = "https://issuer.example";
constexpr char kAudience[] = "careledger";
// 2026-01-01T00:00:00Z: seed tokens expire long after it.
const absl::Time kNow = absl::FromUnixSeconds(1767225600);

struct Setup {
  auth::internal::PkeyPtr key;
  std::optional<auth::TokenVerifier> verifier;
};

// One ES256 key (kid "fuzz") and a verifier trusting it, made once.
Setup& TheSetup() {
  static Setup* const setup = [] {
    auto* made = new Setup;
    made->key = *auth::internal::GenerateEcP256Key();
    nlohmann::json jwk = *auth::internal::PublicJwk(made->key.get(), "fuzz");
    char path[] = "/tmp/careledger-token-fuzzer-XXXXXX";
    const int fd = ::mkstemp(path);
    CARELEDGER_FUZZ_CHECK(fd >= 0);
    ::close(fd);
    std::ofstream(path) << nlohmann::json{{"keys", {jwk}}}.dump();
    absl::StatusOr<auth::TokenVerifier> verifier =
        auth::TokenVerifier::FromJwksFile(path, kIssuer, kAudience);
    ::unlink(path);
    CARELEDGER_FUZZ_CHECK(verifier.ok());
    made->verifier.emplace(*std::move(verifier));
    return made;
  }();
  return *setup;
}

}  // namespace
}  // namespace careledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace auth = careledger::auth;
  using careledger::fuzz::TheSetup;
  careledger::fuzz::FuzzInput input(data, size);
  const bool sign = (input.Byte() & 1) != 0;
  const std::string_view first = input.Piece();
  const std::string_view second = input.Piece();
  std::string token(second);
  if (sign) {
    const std::string signing_input =
        auth::internal::Base64UrlEncode(first) + "." + auth::internal::Base64UrlEncode(second);
    absl::StatusOr<std::string> signature = auth::internal::SignJws(
        TheSetup().key.get(), auth::internal::JwsAlgorithm::kEs256, signing_input);
    CARELEDGER_FUZZ_CHECK(signature.ok());
    token = signing_input + "." + auth::internal::Base64UrlEncode(*signature);
  }
  const absl::StatusOr<auth::TokenClaims> claims =
      TheSetup().verifier->Verify(token, careledger::fuzz::kNow);
  if (!claims.ok()) {
    CARELEDGER_FUZZ_CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated);
    return 0;
  }
  CARELEDGER_FUZZ_CHECK(sign);  // nobody else holds the key
  CARELEDGER_FUZZ_CHECK(claims->issuer == careledger::fuzz::kIssuer);
  CARELEDGER_FUZZ_CHECK(std::find(claims->audiences.begin(), claims->audiences.end(),
                                  careledger::fuzz::kAudience) != claims->audiences.end());
  CARELEDGER_FUZZ_CHECK(!claims->subject.empty());
  CARELEDGER_FUZZ_CHECK(careledger::fuzz::kNow < claims->expires + absl::Seconds(60));
  return 0;
}
