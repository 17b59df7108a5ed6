// Proves the chain rule: each event names the hash of its stream's previous
// record value and the next sequence number.
#include "events/chain.h"

#include <gtest/gtest.h>

#include "events/envelope.h"
#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::events {
namespace {

using ::careledger::testing::FailsWith;
using ::careledger::testing::IsOk;

class ChainTest : public ::testing::Test {
 protected:
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::EventFactory factory_{signer_.key_id, signer_.key};
};

TEST_F(ChainTest, FirstEventFollowsTheEmptyHead) {
  const careledger::v1::Event first = factory_.NextEvent("s");
  EXPECT_EQ(first.prev_hash(), std::string(32, '\0'));
  EXPECT_THAT(CheckExtends(StreamHead{}, first), IsOk());
}

TEST_F(ChainTest, NextEventNamesTheHashOfThePreviousValue) {
  const std::string first = factory_.Seal(factory_.NextEvent("s"));
  const careledger::v1::Event second = factory_.NextEvent("s");
  const StreamHead head{1, Sha256(first)};
  EXPECT_THAT(CheckExtends(head, second), IsOk());
  EXPECT_THAT(CheckExtends(StreamHead{}, second), FailsWith(FailureKind::kSequenceGap));
  EXPECT_THAT(CheckExtends(StreamHead{1, Sha256("another value")}, second),
              FailsWith(FailureKind::kChainBreak));
  EXPECT_THAT(CheckExtends(StreamHead{2, Sha256(first)}, second),
              FailsWith(FailureKind::kDuplicate));
}

}  // namespace
}  // namespace careledger::events
