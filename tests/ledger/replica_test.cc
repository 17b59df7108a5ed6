// Proves the read replica's recorder (ledger/replica.h) beside a writer on
// one log: a read decided on the replica gets the writer's answer (granted
// with the published version and content hash, or refused) and exactly one
// access record on the replica's own stream access/<node>, signed by its
// node key, whose bytes are the receipt it answers with; a command sent to
// it appends nothing; the writer folds its records and the whole log,
// checkpoints included, verifies; a reopened replica continues its stream
// from the log's head.
#include "ledger/replica.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/envelope.h"
#include "ledger/data_keys.h"
#include "ledger/dates.h"
#include "ledger/key_store.h"
#include "ledger/log_scan.h"
#include "ledger/writer.h"
#include "tests/support/memory_log.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

constexpr char kPatient[] = "9990000018";

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    careledger::testing::WriteTestGenesis(log_, signer_);
    ASSERT_THAT(keyring_.Add(events::KeyEntry{
                    "node.r1", *events::VerifyingKey::FromRaw(node_.key.public_key()),
                    absl::InfinitePast()}),
                IsOk());
    WriterOptions options;
    options.key_id = signer_.key_id;
    options.signing_key = signer_.key;
    options.clock = &clock_;
    options.checkpoint_every = 0;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    options.keyring = [this]() -> absl::StatusOr<events::Keyring> { return keyring_; };
    if (Sealed()) {
      auto keys = DataKeyStore::Open(data_key_dir_.Sub("data-keys"), DataKeyMode::kCreate);
      ASSERT_THAT(keys, IsOk());
      data_keys_ = *std::move(keys);
      options.data_keys = data_keys_;
    }
    auto writer = Writer::Open(&log_, std::move(options));
    ASSERT_THAT(writer, IsOk());
    writer_ = *std::move(writer);
    for (const auto& result :
         writer_->SubmitAll(tools::SampleDirectoryCommands(Today(clock_.Now())))) {
      ASSERT_THAT(result, IsOk());
    }
    // The care home scenario up to its first read, on the writer.
    for (const tools::ScenarioStep& step : tools::CareHomeScenario(kPatient, Today(clock_.Now()))) {
      if (step.command.has_view_plan()) {
        first_read_ = step.command;
        break;
      }
      auto result = writer_->Submit(step.command);
      ASSERT_THAT(result, IsOk());
      ASSERT_EQ(result->outcome(), step.expected) << step.what << ": " << result->error();
    }
    ASSERT_TRUE(first_read_.has_view_plan());
    OpenReplica();
  }

  // Plan events sealed under patients' data keys (docs/envelope.md).
  virtual bool Sealed() const { return false; }

  void OpenReplica() {
    replica_.reset();
    auto replica = Replica::Open(&log_, ReplicaOptionsWith(data_keys_.get()));
    ASSERT_THAT(replica, IsOk());
    replica_ = *std::move(replica);
  }

  ReplicaOptions ReplicaOptionsWith(const events::DataKeys* data_keys) {
    ReplicaOptions options;
    options.node = "r1";
    options.signing_key = node_.key;
    options.clock = &clock_;
    options.data_keys = data_keys;
    return options;
  }

  // The record at the answer's position, opened.
  events::OpenedRecord RecordAt(const careledger::v1::CommandResult& result) {
    for (const events::LogRecord& record : log_.Records()) {
      if (record.partition == result.partition() && record.offset == result.offset()) {
        EXPECT_EQ(record.value, result.record()) << "the receipt is the record as appended";
        auto opened = events::OpenRecord(record.key, record.value);
        EXPECT_THAT(opened, IsOk());
        return *opened;
      }
    }
    ADD_FAILURE() << "no record at " << result.partition() << "/" << result.offset();
    return {};
  }

  ScanReport Verify() {
    auto reader = log_.OpenReader();
    EXPECT_THAT(reader, IsOk());
    auto report = ScanLog(**reader, &keyring_, 2, nullptr);
    EXPECT_THAT(report, IsOk());
    return report.ok() ? *report : ScanReport{};
  }

  careledger::testing::MemoryLog log_{4};
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::TestSigner node_ = careledger::testing::MakeTestSigner("node.r1");
  events::Keyring keyring_ = signer_.keyring;
  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  careledger::testing::TempDir data_key_dir_;
  std::shared_ptr<DataKeyStore> data_keys_;  // when Sealed()
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Replica> replica_;
  careledger::v1::Command first_read_;
};

class SealedReplicaTest : public ReplicaTest {
 protected:
  bool Sealed() const override { return true; }
};

TEST_F(ReplicaTest, AGrantedReadIsRecordedOnTheReplicasOwnStreamWithTheVersionAndHashShown) {
  auto granted = replica_->Submit(first_read_);
  ASSERT_THAT(granted, IsOk());
  ASSERT_EQ(granted->outcome(), careledger::v1::OUTCOME_APPLIED) << granted->error();
  EXPECT_EQ(granted->view().version(), 1u);
  const events::OpenedRecord record = RecordAt(*granted);
  EXPECT_EQ(record.event.stream_id(), "access/r1");
  EXPECT_EQ(record.signed_event.key_id(), "node.r1");
  ASSERT_TRUE(record.event.has_access_recorded());
  EXPECT_EQ(record.event.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  EXPECT_EQ(record.event.access_recorded().version(), granted->view().version());
  EXPECT_EQ(record.event.access_recorded().content_hash(), granted->view().content_hash());
  EXPECT_EQ(record.event.command_id(), first_read_.command_id());

  // The writer answers the same read the same way (the same grant).
  careledger::v1::Command again = first_read_;
  again.set_command_id(first_read_.command_id() + "-writer");
  auto on_writer = writer_->Submit(again);
  ASSERT_THAT(on_writer, IsOk());
  EXPECT_EQ(on_writer->view().content_hash(), granted->view().content_hash());
  EXPECT_EQ(on_writer->view().version(), granted->view().version());

  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  const ScanReport report = Verify();
  EXPECT_TRUE(report.stops.empty()) << report.stops.front().Describe();
}

TEST_F(ReplicaTest, ARefusedAndANoPlanReadAreRecordedToo) {
  careledger::v1::Command no_plan = first_read_;
  no_plan.set_command_id("read-no-plan");
  no_plan.mutable_view_plan()->set_nhs_number("9990000026");
  auto refused = replica_->Submit(no_plan);
  ASSERT_THAT(refused, IsOk());
  EXPECT_EQ(refused->outcome(), careledger::v1::OUTCOME_REJECTED);
  const events::OpenedRecord record = RecordAt(*refused);
  EXPECT_EQ(record.event.stream_id(), "access/r1");
  EXPECT_EQ(record.event.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);

  careledger::v1::Command draft = first_read_;
  draft.set_command_id("read-draft");
  draft.mutable_view_plan()->set_view(careledger::v1::PLAN_VIEW_DRAFT);
  auto denied = replica_->Submit(draft);
  ASSERT_THAT(denied, IsOk());
  EXPECT_EQ(denied->outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(RecordAt(*denied).event.stream_seq(), record.event.stream_seq() + 1);
}

TEST_F(ReplicaTest, ACommandSentToTheReplicaAppendsNothing) {
  const std::size_t before = log_.size();
  careledger::v1::Command start = tools::NewCommandAs(tools::SampleWorldActors().care_home_admin);
  start.mutable_start_plan()->set_nhs_number("9990000026");
  EXPECT_THAT(replica_->Submit(start), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(log_.size(), before);
}

TEST_F(ReplicaTest, AReopenedReplicaContinuesItsStreamAndSeesTheWritersNewVersion) {
  auto first = replica_->Submit(first_read_);
  ASSERT_THAT(first, IsOk());
  OpenReplica();
  careledger::v1::Command next = first_read_;
  next.set_command_id("read-after-reopen");
  auto second = replica_->Submit(next);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->stream_seq(), first->stream_seq() + 1);
  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  EXPECT_TRUE(Verify().stops.empty());
}

// On a sealed log the replica decides on the opened content, as the writer
// does, including for a patient whose events (and key) came after it
// opened; without the data keys it refuses the log rather than decide on
// sealed bytes.
TEST_F(SealedReplicaTest, ItDecidesOnTheOpenedContentAndRefusesASealedLogWithoutKeys) {
  auto granted = replica_->Submit(first_read_);
  ASSERT_THAT(granted, IsOk());
  ASSERT_EQ(granted->outcome(), careledger::v1::OUTCOME_APPLIED) << granted->error();
  careledger::v1::Command again = first_read_;
  again.set_command_id(first_read_.command_id() + "-writer");
  auto on_writer = writer_->Submit(again);
  ASSERT_THAT(on_writer, IsOk());
  EXPECT_EQ(granted->view().content_hash(), on_writer->view().content_hash());
  EXPECT_EQ(granted->view().version(), on_writer->view().version());

  constexpr char kLater[] = "9990000026";
  careledger::v1::Command later_read;
  careledger::v1::Command section_update;
  for (const tools::ScenarioStep& step : tools::CareHomeScenario(kLater, Today(clock_.Now()))) {
    if (step.command.has_view_plan()) {
      later_read = step.command;
      break;
    }
    if (step.command.has_update_plan_section()) section_update = step.command;
    auto result = writer_->Submit(step.command);
    ASSERT_THAT(result, IsOk());
    ASSERT_EQ(result->outcome(), step.expected) << step.what << ": " << result->error();
  }
  later_read.set_command_id("read-later-patient");
  auto later = replica_->Submit(later_read);
  ASSERT_THAT(later, IsOk());
  ASSERT_EQ(later->outcome(), careledger::v1::OUTCOME_APPLIED) << later->error();
  later_read.set_command_id("read-later-patient-writer");
  auto later_on_writer = writer_->Submit(later_read);
  ASSERT_THAT(later_on_writer, IsOk());
  EXPECT_EQ(later->view().content_hash(), later_on_writer->view().content_hash());
  // The GP's draft read: its hash is of the working copy folded from the
  // sealed section updates, so it needs them opened.
  ASSERT_TRUE(section_update.has_update_plan_section());
  section_update.set_command_id("edit-after-publishing");
  auto edited = writer_->Submit(section_update);
  ASSERT_THAT(edited, IsOk());
  ASSERT_EQ(edited->outcome(), careledger::v1::OUTCOME_APPLIED) << edited->error();
  careledger::v1::Command draft = tools::NewCommandAs(tools::SampleWorldActors().gp);
  draft.mutable_actor()->set_purpose("care planning");
  draft.mutable_view_plan()->set_nhs_number(kLater);
  draft.mutable_view_plan()->set_view(careledger::v1::PLAN_VIEW_DRAFT);
  auto draft_on_replica = replica_->Submit(draft);
  draft.set_command_id(draft.command_id() + "-writer");
  auto draft_on_writer = writer_->Submit(draft);
  ASSERT_THAT(draft_on_replica, IsOk());
  ASSERT_THAT(draft_on_writer, IsOk());
  ASSERT_EQ(draft_on_writer->outcome(), careledger::v1::OUTCOME_APPLIED)
      << draft_on_writer->error();
  EXPECT_EQ(draft_on_replica->outcome(), careledger::v1::OUTCOME_APPLIED)
      << draft_on_replica->error();
  EXPECT_EQ(draft_on_replica->view().content_hash(), draft_on_writer->view().content_hash());

  EXPECT_FALSE(Replica::Open(&log_, ReplicaOptionsWith(nullptr)).ok())
      << "a replica without data keys must not decide on sealed events";
  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  EXPECT_TRUE(Verify().stops.empty());
}

// A node key is registered in the keyring with its private key beside the
// writer's, but never becomes the writer's signing key, survives a
// rotation, signs the replica's records, and is refused a second time.
TEST(NodeKeyTest, RegisteredNodeKeysNeverSignForTheWriterAndSurviveRotation) {
  careledger::testing::TempDir dir;
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  auto keys = KeyStore::Create(dir.Sub("keys"), start);
  ASSERT_THAT(keys, IsOk());
  auto writer_key = keys->SigningKeyId(start + absl::Hours(1));
  ASSERT_THAT(writer_key, IsOk());
  auto node_key = keys->AddNodeKey("r1", start + absl::Minutes(5));
  ASSERT_THAT(node_key, IsOk());
  EXPECT_EQ(*node_key, "node.r1");
  EXPECT_THAT(keys->AddNodeKey("r1", start + absl::Minutes(6)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(keys->AddNodeKey("bad/node", start), StatusIs(absl::StatusCode::kInvalidArgument));
  // Newer than the writer's key, and still not the writer's.
  EXPECT_EQ(*keys->SigningKeyId(start + absl::Hours(1)), *writer_key);

  auto reopened = KeyStore::Open(dir.Sub("keys"));
  ASSERT_THAT(reopened, IsOk());
  auto loaded = reopened->NodeKey("r1");
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->key_id, "node.r1");
  EXPECT_THAT(reopened->NodeKey("r2"), StatusIs(absl::StatusCode::kNotFound));

  auto rotated = reopened->Rotate(start + absl::Hours(2));
  ASSERT_THAT(rotated, IsOk());
  EXPECT_NE(*reopened->SigningKeyId(start + absl::Hours(3)), "node.r1");
  EXPECT_TRUE(reopened->keyring().Find("node.r1")->CanSignAt(start + absl::Hours(3)))
      << "a rotation of the writer's key leaves the node's open";
}

}  // namespace
}  // namespace careledger::ledger
