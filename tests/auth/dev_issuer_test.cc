// Proves that the development issuer keeps one private ES256 key per data
// directory (mode 0600, reused on reopening, its JWKS beside it), and that
// the tokens it mints verify with TokenVerifier over that JWKS, with their
// claims, while the bad ones tests need (expired, not yet valid, another
// audience, another issuer, another data directory's key) are refused.
#include "auth/dev_issuer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "auth/internal/files.h"
#include "auth/token_verifier.h"
#include "tests/support/test_support.h"

namespace careledger::auth {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

std::string Reason(const absl::StatusOr<TokenClaims>& result) {
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
  return std::string(result.status().message());
}

class DevIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(issuer_, DevIssuer::OpenOrCreate(dir_.Sub("data")));
    CL_ASSERT_OK_AND_ASSIGN(
        verifier_,
        TokenVerifier::FromJwksFile(issuer_->jwks_path(), issuer_->issuer(), issuer_->audience()));
  }

  careledger::testing::TempDir dir_;
  std::optional<DevIssuer> issuer_;
  std::optional<TokenVerifier> verifier_;
};

TEST_F(DevIssuerTest, KeepsOnePrivateKeyPerDataDirectory) {
  const std::string key_path = dir_.Sub("data/auth/dev-issuer/private-key.pem");
  EXPECT_EQ(ModeOf(key_path), 0600u);
  EXPECT_EQ(ModeOf(dir_.Sub("data/auth/dev-issuer")), 0700u);
  EXPECT_EQ(issuer_->jwks_path(), dir_.Sub("data/auth/dev-issuer/jwks.json"));
  EXPECT_EQ(issuer_->issuer(), "https://careledger.invalid/dev-issuer");
  EXPECT_EQ(issuer_->audience(), "careledger");
  CL_ASSERT_OK_AND_ASSIGN(std::string key_before, internal::ReadWholeFile(key_path));
  CL_ASSERT_OK_AND_ASSIGN(DevIssuer reopened, DevIssuer::OpenOrCreate(dir_.Sub("data")));
  EXPECT_EQ(reopened.key_id(), issuer_->key_id());
  CL_ASSERT_OK_AND_ASSIGN(std::string key_after, internal::ReadWholeFile(key_path));
  EXPECT_EQ(key_after, key_before);
  // A token of the reopened issuer verifies against the first JWKS.
  CL_ASSERT_OK_AND_ASSIGN(std::string token, reopened.Mint({.subject = "dr-a"}));
  EXPECT_THAT(verifier_->Verify(token, absl::Now()), IsOk());
}

TEST_F(DevIssuerTest, RefusesAKeyFileThatIsNoKey) {
  ASSERT_THAT(internal::CreatePrivateDir(dir_.Sub("broken/auth/dev-issuer")), IsOk());
  ASSERT_THAT(internal::CreateNewFile(dir_.Sub("broken/auth/dev-issuer/private-key.pem"),
                                      "not a key", 0600),
              IsOk());
  EXPECT_THAT(DevIssuer::OpenOrCreate(dir_.Sub("broken")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DevIssuerTest, MintsTokensThatVerifyWithTheirClaims) {
  const absl::Time start = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  CL_ASSERT_OK_AND_ASSIGN(std::string token, issuer_->Mint({.subject = "patient-1",
                                                            .role_claim = "patient",
                                                            .nhs_number = "9990000018",
                                                            .lifetime = absl::Minutes(10),
                                                            .not_before = start}));
  CL_ASSERT_OK_AND_ASSIGN(TokenClaims claims, verifier_->Verify(token, start + absl::Minutes(1)));
  EXPECT_EQ(claims.subject, "patient-1");
  EXPECT_EQ(claims.role_claim, "patient");
  EXPECT_EQ(claims.nhs_number, "9990000018");
  EXPECT_EQ(claims.issuer, issuer_->issuer());
  EXPECT_THAT(claims.audiences, ::testing::ElementsAre("careledger"));
  EXPECT_EQ(claims.not_before, start);
  EXPECT_EQ(claims.expires, start + absl::Minutes(10));
  EXPECT_FALSE(claims.token_id.empty());
}

TEST_F(DevIssuerTest, MintsTheBadTokensTestsNeed) {
  const absl::Time now = absl::Now();
  CL_ASSERT_OK_AND_ASSIGN(std::string expired,
                          issuer_->Mint({.subject = "dr-a", .not_before = now - absl::Hours(2)}));
  EXPECT_EQ(Reason(verifier_->Verify(expired, now)), "token expired");
  CL_ASSERT_OK_AND_ASSIGN(std::string future,
                          issuer_->Mint({.subject = "dr-a", .not_before = now + absl::Hours(1)}));
  EXPECT_EQ(Reason(verifier_->Verify(future, now)), "token not yet valid");
  CL_ASSERT_OK_AND_ASSIGN(std::string elsewhere,
                          issuer_->Mint({.subject = "dr-a", .audience = "another-service"}));
  EXPECT_EQ(Reason(verifier_->Verify(elsewhere, now)), "wrong audience");
  CL_ASSERT_OK_AND_ASSIGN(std::string impostor,
                          issuer_->Mint({.subject = "dr-a", .issuer = "https://evil.example"}));
  EXPECT_EQ(Reason(verifier_->Verify(impostor, now)), "wrong issuer");
  // Another data directory's issuer: same issuer URL, a key this JWKS lacks.
  CL_ASSERT_OK_AND_ASSIGN(DevIssuer other, DevIssuer::OpenOrCreate(dir_.Sub("other")));
  ASSERT_NE(other.key_id(), issuer_->key_id());
  CL_ASSERT_OK_AND_ASSIGN(std::string foreign, other.Mint({.subject = "dr-a"}));
  EXPECT_EQ(Reason(verifier_->Verify(foreign, now)), "unknown key id");
  // ... and the same token with this issuer's kid: the signature fails.
  const std::string header_b64 = foreign.substr(0, foreign.find('.'));
  const std::string own_header_b64 = expired.substr(0, expired.find('.'));
  EXPECT_EQ(Reason(verifier_->Verify(own_header_b64 + foreign.substr(header_b64.size()), now)),
            "bad signature");
}

TEST_F(DevIssuerTest, RefusesRequestsWithoutSubjectOrLifetimeOrNotUtf8) {
  EXPECT_THAT(issuer_->Mint({}).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_->Mint({.subject = "dr-a", .lifetime = absl::ZeroDuration()}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_->Mint({.subject = "dr-\xff"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace careledger::auth
