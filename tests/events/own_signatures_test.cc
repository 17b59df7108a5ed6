// events/own_signatures.h: what a process signed is not verified again by
// its own readers, and nothing else is let through: another key, an altered
// byte, an unknown or revoked key id are all still refused.
#include "events/own_signatures.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include "events/envelope.h"
#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::events {
namespace {

using ::careledger::testing::FailsWith;
using ::careledger::testing::IsOk;

class OwnSignaturesTest : public ::testing::Test {
 protected:
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::EventFactory factory_{signer_.key_id, signer_.key};
  // Claims the signer's key id with a key of its own.
  careledger::testing::TestSigner forger_ = careledger::testing::MakeTestSigner("test-key-1");
  careledger::testing::EventFactory forged_{signer_.key_id, forger_.key};
};

TEST_F(OwnSignaturesTest, RemembersAValueOnlyUnderTheKeyThatSignedIt) {
  OwnSignatures own;
  const Hash value = Sha256("a record");
  EXPECT_FALSE(own.Made(value, signer_.key.public_key())) << "nothing remembered yet";
  own.Remember(value, signer_.key.public_key());
  EXPECT_TRUE(own.Made(value, signer_.key.public_key()));
  EXPECT_FALSE(own.Made(value, forger_.key.public_key()));
  EXPECT_FALSE(own.Made(Sha256("another record"), signer_.key.public_key()));
  own.Remember(Sha256("short key"), "not 32 bytes");
  EXPECT_EQ(own.size(), 1u) << "a key that is not an Ed25519 public key is never remembered";
}

TEST_F(OwnSignaturesTest, ForgetsTheOldestBeyondItsCapacity) {
  OwnSignatures own;
  for (std::size_t i = 0; i <= OwnSignatures::kCapacity; ++i) {
    own.Remember(Sha256(std::to_string(i)), signer_.key.public_key());
  }
  EXPECT_EQ(own.size(), OwnSignatures::kCapacity);
  EXPECT_FALSE(own.Made(Sha256("0"), signer_.key.public_key()));
  EXPECT_TRUE(own.Made(Sha256("1"), signer_.key.public_key()));
  EXPECT_TRUE(own.Made(Sha256(std::to_string(OwnSignatures::kCapacity)), signer_.key.public_key()));
}

TEST_F(OwnSignaturesTest, ARememberedRecordIsNotVerifiedAgain) {
  // Proves the check is skipped: a record whose signature does not verify,
  // remembered as if this process had signed it under the trusted key, passes.
  // Only a signer remembers, and only what it signed (the writer's Seal).
  const std::string value = forged_.Seal(forged_.NextEvent("patient/9990000018"));
  CL_ASSERT_OK_AND_ASSIGN(OpenedRecord opened, OpenRecord("patient/9990000018", value));
  ASSERT_THAT(VerifySignature(opened, signer_.keyring), FailsWith(FailureKind::kBadSignature));
  OwnSignatures own;
  own.Remember(opened.value_hash, signer_.key.public_key());
  EXPECT_THAT(VerifySignature(opened, signer_.keyring, &own), IsOk());
}

TEST_F(OwnSignaturesTest, AKeyringNamingAnotherKeyVerifiesInFull) {
  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  CL_ASSERT_OK_AND_ASSIGN(OpenedRecord opened, OpenRecord("patient/9990000018", value));
  OwnSignatures own;
  own.Remember(opened.value_hash, signer_.key.public_key());
  // The forger's keyring gives the signer's key id the forger's public key.
  Keyring other;
  ASSERT_THAT(other.Add(KeyEntry{signer_.key_id, *VerifyingKey::FromRaw(forger_.key.public_key()),
                                 absl::InfinitePast(), absl::InfiniteFuture()}),
              IsOk());
  EXPECT_THAT(VerifySignature(opened, other, &own), FailsWith(FailureKind::kBadSignature));
}

TEST_F(OwnSignaturesTest, AnUnknownOrRevokedKeyIdIsStillRefused) {
  careledger::testing::EventFactory unknown("someone-else", signer_.key);
  CL_ASSERT_OK_AND_ASSIGN(
      OpenedRecord by_unknown,
      OpenRecord("patient/9990000018", unknown.Seal(unknown.NextEvent("patient/9990000018"))));
  OwnSignatures own;
  own.Remember(by_unknown.value_hash, signer_.key.public_key());
  EXPECT_THAT(VerifySignature(by_unknown, signer_.keyring, &own),
              FailsWith(FailureKind::kUnknownKey));

  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  CL_ASSERT_OK_AND_ASSIGN(OpenedRecord opened, OpenRecord("patient/9990000018", value));
  own.Remember(opened.value_hash, signer_.key.public_key());
  Keyring revoked = signer_.keyring;
  ASSERT_THAT(revoked.Revoke(signer_.key_id, absl::UnixEpoch(), "lost"), IsOk());
  EXPECT_THAT(VerifySignature(opened, revoked, &own), FailsWith(FailureKind::kKeyRevoked));
}

TEST_F(OwnSignaturesTest, EveryFlippedBitOfARememberedRecordIsStillCaught) {
  google::protobuf::LogSilencer quiet;  // corrupt strings are expected here
  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  OwnSignatures own;
  own.Remember(Sha256(value), signer_.key.public_key());
  for (std::size_t bit = 0; bit < value.size() * 8; ++bit) {
    std::string tampered = value;
    tampered[bit / 8] = static_cast<char>(tampered[bit / 8] ^ (1 << (bit % 8)));
    auto opened = OpenRecord("patient/9990000018", tampered);
    if (!opened.ok()) continue;  // caught as malformed or mismatched
    EXPECT_FALSE(VerifySignature(*opened, signer_.keyring, &own).ok())
        << "bit " << bit << " flipped and the remembered record still verified";
  }
}

}  // namespace
}  // namespace careledger::events
