// Proves that the partition verifier stops at the first untrusted record, for
// every way a log can be damaged: flipped bits, truncation, wrong or expired
// keys, reordered, missing, duplicated, replayed and forged records, and a
// rewritten history under a checkpoint. It never passes a bad record and
// always says where and why it stopped.
#include "events/partition_verifier.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::events {
namespace {

using ::careledger::testing::FailsWith;

constexpr std::int32_t kPartition = 3;

class PartitionVerifierTest : public ::testing::Test {
 protected:
  // Records 0..n-1 over two interleaved streams, all valid.
  std::vector<LogRecord> GoodLog(int n) {
    std::vector<LogRecord> log;
    for (int i = 0; i < n; ++i) {
      log.push_back(factory_.NextRecord(i % 2 == 0 ? "patient/a" : "patient/b", kPartition, i));
    }
    return log;
  }

  BatchVerification VerifyAll(const std::vector<LogRecord>& log) {
    PartitionVerifier verifier(kPartition, &signer_.keyring, nullptr, 2);
    return verifier.Verify(log);
  }

  // Asserts that verification stops exactly at `offset` with `kind`, having
  // passed every record before it.
  void ExpectStopAt(const std::vector<LogRecord>& log, std::int64_t offset, FailureKind kind) {
    BatchVerification result = VerifyAll(log);
    ASSERT_TRUE(result.stop.has_value()) << "a damaged log verified";
    EXPECT_EQ(result.stop->offset, offset);
    EXPECT_EQ(result.stop->partition, kPartition);
    EXPECT_THAT(result.stop->reason, FailsWith(kind));
    for (const VerifiedRecord& record : result.verified) EXPECT_LT(record.offset, offset);
    EXPECT_NE(result.stop->Describe().find("offset " + std::to_string(offset)), std::string::npos);
  }

  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::EventFactory factory_{signer_.key_id, signer_.key};
};

TEST_F(PartitionVerifierTest, GoodLogVerifiesCompletely) {
  const std::vector<LogRecord> log = GoodLog(50);
  BatchVerification result = VerifyAll(log);
  EXPECT_FALSE(result.stop.has_value()) << result.stop->Describe();
  EXPECT_EQ(result.verified.size(), 50u);
}

TEST_F(PartitionVerifierTest, FlippedBitStops) {
  std::vector<LogRecord> log = GoodLog(10);
  log[6].value[log[6].value.size() / 2] ^= 0x01;
  BatchVerification result = VerifyAll(log);
  ASSERT_TRUE(result.stop.has_value());
  EXPECT_EQ(result.stop->offset, 6);
  EXPECT_EQ(result.verified.size(), 6u);
}

TEST_F(PartitionVerifierTest, TruncatedRecordStops) {
  std::vector<LogRecord> log = GoodLog(10);
  log[4].value.resize(log[4].value.size() - 7);
  BatchVerification result = VerifyAll(log);
  ASSERT_TRUE(result.stop.has_value());
  EXPECT_EQ(result.stop->offset, 4);
}

TEST_F(PartitionVerifierTest, MissingRecordIsASequenceGap) {
  std::vector<LogRecord> log = GoodLog(10);
  log.erase(log.begin() + 4);  // patient/a loses seq 3
  ExpectStopAt(log, 6, FailureKind::kSequenceGap);
}

TEST_F(PartitionVerifierTest, ReorderedRecordsStop) {
  std::vector<LogRecord> log = GoodLog(10);
  std::swap(log[2].value, log[4].value);  // patient/a seq 2 and 3 swap places
  ExpectStopAt(log, 2, FailureKind::kSequenceGap);
}

TEST_F(PartitionVerifierTest, DuplicatedRecordStops) {
  std::vector<LogRecord> log = GoodLog(6);
  LogRecord copy = log[4];
  copy.offset = 6;
  log.push_back(copy);
  ExpectStopAt(log, 6, FailureKind::kDuplicate);
}

TEST_F(PartitionVerifierTest, ReplayedOldRecordStops) {
  std::vector<LogRecord> log = GoodLog(8);
  LogRecord replay = log[0];  // the stream's first event, appended again
  replay.offset = 8;
  log.push_back(replay);
  ExpectStopAt(log, 8, FailureKind::kDuplicate);
}

TEST_F(PartitionVerifierTest, ForgedRecordWithCorrectChainButWrongKeyStops) {
  std::vector<LogRecord> log = GoodLog(6);
  careledger::testing::TestSigner forger = careledger::testing::MakeTestSigner();
  // The forger knows the chain (it is public) but not the private key.
  careledger::testing::EventFactory forged(signer_.key_id, forger.key);
  for (const LogRecord& record : log) {
    auto opened = OpenRecord(record.key, record.value);
    forged.Seal(opened->event);  // mirror the chain heads
  }
  log.push_back(forged.NextRecord("patient/a", kPartition, 6));
  ExpectStopAt(log, 6, FailureKind::kBadSignature);
}

TEST_F(PartitionVerifierTest, ExpiredKeyStops) {
  std::vector<LogRecord> log = GoodLog(4);
  const absl::Time now = absl::Now();
  careledger::testing::TestSigner expired = careledger::testing::MakeTestSigner("expired-key");
  ASSERT_TRUE(signer_.keyring
                  .Add(KeyEntry{"expired-key", *VerifyingKey::FromRaw(expired.key.public_key()),
                                now - absl::Hours(2), now - absl::Hours(1)})
                  .ok());
  careledger::testing::EventFactory late("expired-key", expired.key);
  log.push_back(late.NextRecord("patient/c", kPartition, 4, now));
  ExpectStopAt(log, 4, FailureKind::kKeyNotValid);
}

TEST_F(PartitionVerifierTest, CheckpointProvesHistoryAndCatchesARewrite) {
  std::vector<LogRecord> log = GoodLog(5);
  PartitionDigest digest;
  for (const LogRecord& record : log) digest.Add(record.offset, Sha256(record.value));
  careledger::v1::Event checkpoint = factory_.NextEvent("checkpoint/3/0");
  *checkpoint.mutable_checkpoint() = digest.ToCheckpoint(kPartition);
  log.push_back(LogRecord{kPartition, 5, "checkpoint/3/0", factory_.Seal(checkpoint)});
  ASSERT_FALSE(VerifyAll(log).stop.has_value());

  // Rewrite history: replace record 1 with a validly signed different record
  // and re-chain everything after it. Chains and signatures all verify, but
  // the checkpoint signed earlier no longer matches.
  careledger::testing::EventFactory rewriter(signer_.key_id, signer_.key);
  std::vector<LogRecord> rewritten;
  for (int i = 0; i < 5; ++i) {
    careledger::v1::Event event = rewriter.NextEvent(i % 2 == 0 ? "patient/a" : "patient/b");
    if (i == 1) event.mutable_plan_started()->set_nhs_number("9990000026");
    rewritten.push_back(LogRecord{kPartition, i, event.stream_id(), rewriter.Seal(event)});
  }
  rewritten.push_back(log[5]);
  rewritten.back().value = rewriter.Seal(checkpoint);  // the old checkpoint body, re-chained
  ExpectStopAt(rewritten, 5, FailureKind::kCheckpointMismatch);
}

TEST_F(PartitionVerifierTest, CheckpointClaimingMoreThanTheLogHoldsStops) {
  std::vector<LogRecord> log = GoodLog(3);
  PartitionDigest digest;
  for (const LogRecord& record : log) digest.Add(record.offset, Sha256(record.value));
  digest.Add(3, Sha256("a record that was cut from the log"));
  careledger::v1::Event checkpoint = factory_.NextEvent("checkpoint/3/0");
  *checkpoint.mutable_checkpoint() = digest.ToCheckpoint(kPartition);
  log.push_back(LogRecord{kPartition, 3, "checkpoint/3/0", factory_.Seal(checkpoint)});
  ExpectStopAt(log, 3, FailureKind::kCheckpointMismatch);
}

// A checkpoint of `log`'s records at offsets <= `covers` (docs/replicas.md:
// another appender's records may lie between the prefix and the checkpoint).
LogRecord CheckpointCovering(careledger::testing::EventFactory& factory,
                             const std::vector<LogRecord>& log, std::int64_t covers,
                             std::int64_t offset) {
  PartitionDigest digest;
  for (const LogRecord& record : log) {
    if (record.offset <= covers) digest.Add(record.offset, Sha256(record.value));
  }
  careledger::v1::Event checkpoint = factory.NextEvent("checkpoint/3/0");
  *checkpoint.mutable_checkpoint() = digest.ToCheckpoint(kPartition);
  return LogRecord{kPartition, offset, "checkpoint/3/0", factory.Seal(checkpoint)};
}

TEST_F(PartitionVerifierTest, CheckpointCoveringAPrefixVerifies) {
  // Records 0..5, then a checkpoint covering only 0..3 (4 and 5 were
  // appended by a replica after the writer's digest), then a second one
  // covering everything before it.
  std::vector<LogRecord> log = GoodLog(6);
  log.push_back(CheckpointCovering(factory_, log, 3, 6));
  log.push_back(factory_.NextRecord("patient/a", kPartition, 7));
  log.push_back(CheckpointCovering(factory_, log, 7, 8));
  // A third covers the same prefix as the second: "not before" allows it.
  log.push_back(CheckpointCovering(factory_, log, 7, 9));
  BatchVerification result = VerifyAll(log);
  EXPECT_FALSE(result.stop.has_value()) << result.stop->Describe();
  EXPECT_EQ(result.verified.size(), 10u);
}

TEST_F(PartitionVerifierTest, CheckpointCoveringPastItselfStops) {
  std::vector<LogRecord> log = GoodLog(4);
  // States a digest that includes its own offset 4.
  std::vector<LogRecord> with_self = log;
  with_self.push_back(LogRecord{kPartition, 4, "x", "a value at the checkpoint's own offset"});
  log.push_back(CheckpointCovering(factory_, with_self, 4, 4));
  ExpectStopAt(log, 4, FailureKind::kCheckpointMismatch);
  EXPECT_NE(VerifyAll(log).stop->Describe().find("past itself"), std::string::npos);
}

TEST_F(PartitionVerifierTest, CheckpointGoingBackwardsStops) {
  std::vector<LogRecord> log = GoodLog(6);
  log.push_back(CheckpointCovering(factory_, log, 4, 6));
  // Covers 0..2: a true digest of that prefix, but before the previous
  // checkpoint's prefix (0..4).
  log.push_back(CheckpointCovering(factory_, log, 2, 7));
  ExpectStopAt(log, 7, FailureKind::kCheckpointMismatch);
  EXPECT_NE(VerifyAll(log).stop->Describe().find("backwards"), std::string::npos);
}

TEST_F(PartitionVerifierTest, CheckpointCoveringAPrefixWithAForgedHashStops) {
  std::vector<LogRecord> log = GoodLog(6);
  PartitionDigest digest;
  for (int i = 0; i <= 3; ++i) digest.Add(log[i].offset, Sha256(log[i].value));
  careledger::v1::Checkpoint stated = digest.ToCheckpoint(kPartition);
  std::string forged = stated.running_hash();
  forged[0] ^= 0x01;
  stated.set_running_hash(forged);
  careledger::v1::Event checkpoint = factory_.NextEvent("checkpoint/3/0");
  *checkpoint.mutable_checkpoint() = stated;
  log.push_back(LogRecord{kPartition, 6, "checkpoint/3/0", factory_.Seal(checkpoint)});
  ExpectStopAt(log, 6, FailureKind::kCheckpointMismatch);
  EXPECT_NE(VerifyAll(log).stop->Describe().find("running hash"), std::string::npos);
}

TEST_F(PartitionVerifierTest, CheckpointCoveringAnOffsetWithNoRecordStops) {
  std::vector<LogRecord> log = GoodLog(4);
  for (LogRecord& record : log) record.offset *= 2;  // Kafka-like gaps: 0, 2, 4, 6
  PartitionDigest digest;
  for (const LogRecord& record : log) digest.Add(record.offset, Sha256(record.value));
  careledger::v1::Checkpoint stated = digest.ToCheckpoint(kPartition);
  stated.set_last_offset(5);  // between two records
  careledger::v1::Event checkpoint = factory_.NextEvent("checkpoint/3/0");
  *checkpoint.mutable_checkpoint() = stated;
  log.push_back(LogRecord{kPartition, 8, "checkpoint/3/0", factory_.Seal(checkpoint)});
  ExpectStopAt(log, 8, FailureKind::kCheckpointMismatch);
}

TEST_F(PartitionVerifierTest, ResumedVerifierCountsACheckpointBeforeItsStartUnchecked) {
  std::vector<LogRecord> log = GoodLog(6);
  log.push_back(CheckpointCovering(factory_, log, 3, 6));
  PartitionVerifier first(kPartition, &signer_.keyring, nullptr, 1);
  ASSERT_FALSE(first.Verify(std::span(log).first(5)).stop.has_value());
  auto heads = first.heads();
  PartitionVerifier second(
      kPartition, &signer_.keyring,
      [&](std::string_view stream) -> absl::StatusOr<StreamHead> {
        auto it = heads.find(std::string(stream));
        return it == heads.end() ? StreamHead{} : it->second;
      },
      1);
  second.Resume(first.digest());  // at offset 4: the checkpoint covers up to 3
  BatchVerification tail = second.Verify(std::span(log).subspan(5));
  EXPECT_FALSE(tail.stop.has_value()) << tail.stop->Describe();
  EXPECT_EQ(second.unchecked_checkpoints(), 1u);
  // A whole read checks it.
  PartitionVerifier whole(kPartition, &signer_.keyring, nullptr, 1);
  EXPECT_FALSE(whole.Verify(log).stop.has_value());
  EXPECT_EQ(whole.unchecked_checkpoints(), 0u);
}

TEST_F(PartitionVerifierTest, ResumesFromLookedUpHeads) {
  const std::vector<LogRecord> log = GoodLog(10);
  PartitionVerifier first(kPartition, &signer_.keyring, nullptr, 1);
  BatchVerification head_part = first.Verify(std::span(log).first(6));
  ASSERT_FALSE(head_part.stop.has_value());
  // A second verifier, as after a restart, learns heads from a lookup.
  auto heads = first.heads();
  PartitionVerifier second(
      kPartition, &signer_.keyring,
      [&](std::string_view stream) -> absl::StatusOr<StreamHead> {
        return heads.at(std::string(stream));
      },
      1);
  second.Resume(first.digest());
  BatchVerification tail = second.Verify(std::span(log).subspan(6));
  EXPECT_FALSE(tail.stop.has_value());
  EXPECT_EQ(tail.verified.size(), 4u);
}

}  // namespace
}  // namespace careledger::events
