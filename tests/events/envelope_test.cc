// Proves the envelope contract: exact signed bytes, deterministic encoding,
// and that any change to a stored value is caught.
#include "events/envelope.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include "events/time_util.h"
#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::events {
namespace {

using ::careledger::testing::FailsWith;
using ::careledger::testing::IsOk;

class EnvelopeTest : public ::testing::Test {
 protected:
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::EventFactory factory_{signer_.key_id, signer_.key};
};

TEST_F(EnvelopeTest, SignsTheDomainSeparatedEventBytes) {
  const careledger::v1::Event event = factory_.NextEvent("patient/9990000018");
  const std::string value = factory_.Seal(event);
  careledger::v1::SignedEvent signed_event;
  ASSERT_TRUE(signed_event.ParseFromString(value));
  EXPECT_EQ(signed_event.key_id(), signer_.key_id);
  EXPECT_EQ(signed_event.event(), SerializeDeterministic(event));

  // An independent check with the raw public key over the documented bytes.
  const std::string signed_bytes = std::string("careledger.v1.event") + '\0' + signed_event.event();
  auto key = VerifyingKey::FromRaw(signer_.key.public_key());
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->Verify(signed_bytes, signed_event.signature()));
  EXPECT_FALSE(key->Verify(signed_event.event(), signed_event.signature()))
      << "the signature must not verify without the domain-separation tag";
}

TEST_F(EnvelopeTest, EncodingIsDeterministic) {
  const careledger::v1::Event event = factory_.NextEvent("patient/9990000018");
  EXPECT_EQ(SerializeDeterministic(event), SerializeDeterministic(event));
  careledger::v1::Event copy;
  ASSERT_TRUE(copy.ParseFromString(SerializeDeterministic(event)));
  EXPECT_EQ(SerializeDeterministic(copy), SerializeDeterministic(event));
}

TEST_F(EnvelopeTest, OpensAndVerifiesAGoodRecord) {
  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  auto opened = OpenRecord("patient/9990000018", value);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->value_hash, Sha256(value));
  EXPECT_EQ(opened->event.stream_seq(), 1u);
  EXPECT_THAT(VerifySignature(*opened, signer_.keyring), IsOk());
}

TEST_F(EnvelopeTest, EveryFlippedBitIsCaught) {
  google::protobuf::LogSilencer quiet;  // corrupt strings are expected here
  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  for (std::size_t bit = 0; bit < value.size() * 8; ++bit) {
    std::string tampered = value;
    tampered[bit / 8] = static_cast<char>(tampered[bit / 8] ^ (1 << (bit % 8)));
    auto opened = OpenRecord("patient/9990000018", tampered);
    if (!opened.ok()) continue;  // caught as malformed or mismatched
    EXPECT_FALSE(VerifySignature(*opened, signer_.keyring).ok())
        << "bit " << bit << " flipped and the record still verified";
  }
}

TEST_F(EnvelopeTest, TruncatedRecordIsMalformedOrUnverifiable) {
  google::protobuf::LogSilencer quiet;  // corrupt strings are expected here
  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  for (std::size_t length = 0; length < value.size(); ++length) {
    auto opened = OpenRecord("patient/9990000018", value.substr(0, length));
    if (!opened.ok()) {
      EXPECT_THAT(opened, FailsWith(FailureKind::kMalformed)) << "length " << length;
      continue;
    }
    EXPECT_FALSE(VerifySignature(*opened, signer_.keyring).ok()) << "length " << length;
  }
}

TEST_F(EnvelopeTest, RecordUnderAnotherKeyIsAStreamMismatch) {
  const std::string value = factory_.Seal(factory_.NextEvent("patient/9990000018"));
  EXPECT_THAT(OpenRecord("patient/9990000026", value), FailsWith(FailureKind::kStreamMismatch));
}

TEST_F(EnvelopeTest, ForgedSignatureByAnotherKeyIsRejected) {
  // An attacker signs with their own key but claims the trusted key id.
  careledger::testing::TestSigner forger = careledger::testing::MakeTestSigner("test-key-1");
  careledger::testing::EventFactory forged_factory(signer_.key_id, forger.key);
  const std::string value = forged_factory.Seal(forged_factory.NextEvent("patient/9990000018"));
  auto opened = OpenRecord("patient/9990000018", value);
  ASSERT_THAT(opened, IsOk());
  EXPECT_THAT(VerifySignature(*opened, signer_.keyring), FailsWith(FailureKind::kBadSignature));
}

TEST_F(EnvelopeTest, UnknownKeyIdIsRejected) {
  careledger::testing::EventFactory other("someone-else", signer_.key);
  auto opened = OpenRecord("patient/9990000018", other.Seal(other.NextEvent("patient/9990000018")));
  ASSERT_THAT(opened, IsOk());
  EXPECT_THAT(VerifySignature(*opened, signer_.keyring), FailsWith(FailureKind::kUnknownKey));
}

TEST_F(EnvelopeTest, GarbageIsMalformed) {
  EXPECT_THAT(OpenRecord("k", "not a protobuf at all \xff\xff"),
              FailsWith(FailureKind::kMalformed));
  EXPECT_THAT(OpenRecord("k", ""), FailsWith(FailureKind::kMalformed));
}

}  // namespace
}  // namespace careledger::events
