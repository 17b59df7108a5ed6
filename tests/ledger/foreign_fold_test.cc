// Proves that the writer learns each partition from the log, not only from
// its own appends (docs/replicas.md): a read replica's access records on its
// own stream `access/<node>`, signed by its node key, are folded into the
// partition digests, so every checkpoint after them verifies (`verify`'s
// checks, ledger/log_scan.h); a restart recovers over them; and anything else
// another appender puts on the log stops the writer with DATA_LOSS naming
// partition and offset, appending nothing more.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/envelope.h"
#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/foreign_record.h"
#include "ledger/log_scan.h"
#include "ledger/partitioner.h"
#include "ledger/writer.h"
#include "tests/support/event_factory.h"
#include "tests/support/memory_log.h"
#include "tests/support/read_log.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

constexpr std::int32_t kPartitions = 4;

class ForeignFoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    careledger::testing::WriteTestGenesis(log_, signer_);
    ASSERT_THAT(keyring_.Add(events::KeyEntry{
                    "node.r1", *events::VerifyingKey::FromRaw(node_.key.public_key()),
                    absl::InfinitePast()}),
                IsOk());
    OpenWriter();
    auto replica = log_.OpenWriter("replica-r1");
    ASSERT_THAT(replica, IsOk());
    replica_ = *std::move(replica);
  }

  void OpenWriter(std::string snapshot_dir = "") {
    writer_.reset();
    WriterOptions options;
    options.key_id = signer_.key_id;
    options.signing_key = signer_.key;
    options.clock = &clock_;
    options.checkpoint_every = 0;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    options.keyring = [this]() -> absl::StatusOr<events::Keyring> { return keyring_; };
    options.snapshot_dir = std::move(snapshot_dir);
    auto writer = Writer::Open(&log_, std::move(options));
    ASSERT_THAT(writer, IsOk());
    writer_ = *std::move(writer);
    for (const auto& result : writer_->SubmitAll(world_)) ASSERT_THAT(result, IsOk());
  }

  // A read replica's access record on `stream`, signed by `factory`.
  LogPosition AppendForeign(careledger::testing::EventFactory& factory,
                            const std::string& stream = "access/r1", bool access = true) {
    careledger::v1::Event event = factory.NextEvent(stream, clock_.Now());
    if (access) {
      event.clear_plan_started();
      careledger::v1::AccessRecorded* record = event.mutable_access_recorded();
      record->set_action("read");
      record->set_nhs_number("9990000018");
      record->set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
      record->set_reason("no plan");
    }
    event.set_command_id(fmt::format("replica-read-{}", ++foreign_));
    const AppendRecord record{PartitionForKey(stream, kPartitions), stream, factory.Seal(event)};
    auto positions = replica_->Append(std::span(&record, 1));
    EXPECT_THAT(positions, IsOk());
    return positions.ok() ? positions->front() : LogPosition{};
  }

  careledger::v1::Command Read(const std::string& id) {
    careledger::v1::Command command;
    command.set_command_id(id);
    *command.mutable_actor() = tools::SampleWorldActors().care_home_admin;
    command.mutable_view_plan()->set_nhs_number("9990000018");
    return command;
  }

  // Verifies the whole log as `careledger verify` does, signatures included.
  ScanReport Verify() {
    auto reader = log_.OpenReader();
    EXPECT_THAT(reader, IsOk());
    auto report = ScanLog(**reader, &keyring_, 2, nullptr);
    EXPECT_THAT(report, IsOk());
    return report.ok() ? *report : ScanReport{};
  }

  careledger::testing::MemoryLog log_{kPartitions};
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::TestSigner node_ = careledger::testing::MakeTestSigner("node.r1");
  events::Keyring keyring_ = signer_.keyring;
  careledger::testing::EventFactory replica_events_{"node.r1", node_.key};
  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  const std::vector<careledger::v1::Command> world_ =
      tools::SampleDirectoryCommands(Today(clock_.Now()));
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<LogWriter> replica_;
  int foreign_ = 0;
};

TEST_F(ForeignFoldTest, ReplicaRecordsBetweenTheWritersAreFoldedAndCheckpointsVerify) {
  // The writer's and the replica's appends interleave on the replica's
  // partition: the writer's own offsets now have gaps.
  const std::int32_t partition = PartitionForKey("access/r1", kPartitions);
  std::vector<LogPosition> foreign;
  for (int i = 0; i < 3; ++i) {
    foreign.push_back(AppendForeign(replica_events_));
    for (int j = 0; j < 4; ++j) {
      ASSERT_THAT(writer_->Submit(Read(fmt::format("read-{}-{}", i, j))), IsOk());
    }
  }
  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  foreign.push_back(AppendForeign(replica_events_));  // after the checkpoint
  ASSERT_THAT(writer_->Submit(Read("read-last")), IsOk());
  ASSERT_THAT(writer_->Checkpoint(), IsOk());

  const ScanReport report = Verify();
  ASSERT_TRUE(report.stops.empty()) << report.stops.front().Describe();
  EXPECT_EQ(report.checkpoints, 2u * kPartitions);
  // The replica's partition's last checkpoint covers every foreign record.
  std::int64_t covered = -2;
  for (const events::LogRecord& record : careledger::testing::ReadAll(log_)) {
    if (record.partition != partition) continue;
    auto opened = events::OpenRecord(record.key, record.value);
    ASSERT_THAT(opened, IsOk());
    if (opened->event.has_checkpoint()) covered = opened->event.checkpoint().last_offset();
  }
  EXPECT_GE(covered, foreign.back().offset);

  // A restart recovers over the foreign records and goes on checkpointing.
  OpenWriter();
  AppendForeign(replica_events_);
  ASSERT_THAT(writer_->Submit(Read("after-restart")), IsOk());
  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  const ScanReport again = Verify();
  EXPECT_TRUE(again.stops.empty()) << again.stops.front().Describe();
  EXPECT_EQ(again.checkpoints, 3u * kPartitions);
}

TEST_F(ForeignFoldTest, SnapshotStartUpReadsTheForeignRecordsAfterIt) {
  careledger::testing::TempDir snapshots;
  OpenWriter(snapshots.path().string());
  AppendForeign(replica_events_);
  ASSERT_THAT(writer_->Submit(Read("before-snapshot")), IsOk());
  auto taken = writer_->Snapshot();
  ASSERT_THAT(taken, IsOk());
  AppendForeign(replica_events_);
  AppendForeign(replica_events_);
  OpenWriter(snapshots.path().string());
  EXPECT_TRUE(writer_->recovery().from_snapshot) << writer_->recovery().snapshot_rejected;
  ASSERT_THAT(writer_->Submit(Read("after-snapshot")), IsOk());
  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  const ScanReport report = Verify();
  EXPECT_TRUE(report.stops.empty()) << report.stops.front().Describe();
}

// The writer stops at `foreign` (DATA_LOSS naming its partition and offset)
// and appends nothing more.
void ExpectStoppedAt(Writer& writer, careledger::testing::MemoryLog& log, LogPosition foreign,
                     careledger::v1::Command next) {
  const std::size_t before = log.size();
  absl::Status checkpoint = writer.Checkpoint();
  EXPECT_THAT(checkpoint, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(checkpoint.message().find(
                fmt::format("partition {} offset {}", foreign.partition, foreign.offset)),
            std::string::npos)
      << checkpoint.message();
  EXPECT_FALSE(writer.Submit(next).ok());
  EXPECT_EQ(log.size(), before);
}

TEST_F(ForeignFoldTest, AReplicaKeyWritingAPlanStreamStopsTheWriter) {
  const LogPosition forged = AppendForeign(replica_events_, "patient/9990000018", false);
  ExpectStoppedAt(*writer_, log_, forged, Read("after-forgery"));
}

TEST_F(ForeignFoldTest, AnAccessRecordOnAnotherNodesStreamStopsTheWriter) {
  const LogPosition forged = AppendForeign(replica_events_, "access/r2");
  ExpectStoppedAt(*writer_, log_, forged, Read("after-forgery"));
}

TEST_F(ForeignFoldTest, ABadSignatureStopsTheWriter) {
  careledger::testing::TestSigner forger = careledger::testing::MakeTestSigner("node.r1");
  careledger::testing::EventFactory forged_events("node.r1", forger.key);
  const LogPosition forged = AppendForeign(forged_events);
  ExpectStoppedAt(*writer_, log_, forged, Read("after-forgery"));
}

TEST_F(ForeignFoldTest, ARecordSignedByTheWritersKeyThatItDidNotAppendStopsIt) {
  careledger::testing::EventFactory writer_key_events(signer_.key_id, signer_.key);
  const LogPosition forged = AppendForeign(writer_key_events, "access/r1");
  ExpectStoppedAt(*writer_, log_, forged, Read("after-forgery"));
}

TEST(NodeKeyIdTest, NamesTheNode) {
  EXPECT_EQ(NodeOfKeyId("node.r1"), "r1");
  EXPECT_EQ(NodeOfKeyId("node.east-2.k3"), "east-2");
  EXPECT_EQ(NodeOfKeyId("key-20260101"), "");
  EXPECT_EQ(NodeOfKeyId("node."), "");
  EXPECT_EQ(NodeOfKeyId("node.a/b"), "");
  EXPECT_THAT(NodeKeyId("r1"), IsOk());
  EXPECT_EQ(*NodeKeyId("r1"), "node.r1");
  EXPECT_THAT(NodeKeyId("a/b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace careledger::ledger
