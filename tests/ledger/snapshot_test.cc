// Proves writer state snapshots (docs/snapshots.md) on the embedded log: a
// start-up from a snapshot recovers exactly the state a whole read does and
// decides commands exactly as a writer that read the whole log; records
// appended after the snapshot are recovered; a damaged, truncated, stale or
// foreign snapshot is not used (the whole log is read, and the report says
// why); a log cut before the snapshot's checkpoint is refused (DATA_LOSS);
// witnesses are still checked.
#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>
#include <vector>

#include "events/plan_fold.h"
#include "ledger/dates.h"
#include "ledger/embedded_log.h"
#include "ledger/internal/ledger_state.h"
#include "ledger/internal/recovery.h"
#include "ledger/internal/snapshot_files.h"
#include "ledger/log_scan.h"
#include "ledger/nhs_number.h"
#include "ledger/writer.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::Command;
using careledger::v1::CommandResult;

constexpr std::int32_t kPartitions = 4;

// The n-th synthetic NHS number (999 range) with a valid check digit.
std::string Patient(int n) {
  for (int candidate = n;; candidate += 1000) {
    const std::string nhs = CompleteNhsNumber(fmt::format("999{:06}", candidate));
    if (!nhs.empty()) return nhs;
  }
}

Command Start(const std::string& id, const std::string& nhs) {
  Command command;
  command.set_command_id(id);
  *command.mutable_actor() = tools::SampleWorldActors().care_home_admin;
  command.mutable_start_plan()->set_nhs_number(nhs);
  careledger::v1::Consent* consent = command.mutable_start_plan()->mutable_consent();
  consent->set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
  consent->mutable_obtained_on()->set_year(2026);
  consent->mutable_obtained_on()->set_month(3);
  consent->mutable_obtained_on()->set_day(4);
  return command;
}

Command Edit(const std::string& id, const std::string& nhs, const std::string& diagnosis) {
  Command command;
  command.set_command_id(id);
  *command.mutable_actor() = tools::SampleWorldActors().gp;
  command.mutable_update_plan_section()->set_nhs_number(nhs);
  command.mutable_update_plan_section()
      ->mutable_value()
      ->mutable_medical_background()
      ->set_main_diagnosis(diagnosis);
  return command;
}

// What a writer answered, without what is random (nothing here is).
std::string Answer(const absl::StatusOr<CommandResult>& result) {
  if (!result.ok()) return result.status().ToString();
  return fmt::format("{} '{}' {}#{} p{}@{}", careledger::v1::Outcome_Name(result->outcome()),
                     result->error(), result->stream_id(), result->stream_seq(),
                     result->partition(), result->offset());
}

// Public: the damage cases below are written outside the fixture.
// Puts the remembered commands (parallel ids and outcomes) in id order.
void SortCommands(careledger::v1::WriterSnapshot* snapshot) {
  std::vector<std::pair<std::string, std::string>> commands;
  for (int i = 0; i < snapshot->command_ids_size(); ++i) {
    commands.emplace_back(snapshot->command_ids(i), snapshot->command_outcomes(i));
  }
  std::sort(commands.begin(), commands.end());
  snapshot->clear_command_ids();
  snapshot->clear_command_outcomes();
  for (const auto& [id, outcome] : commands) {
    snapshot->add_command_ids(id);
    snapshot->add_command_outcomes(outcome);
  }
}

class SnapshotTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto log = OpenEmbeddedLog({dir_.Sub("log"), kPartitions, EmbeddedLogMode::kCreate});
    ASSERT_THAT(log, IsOk());
    careledger::testing::WriteTestGenesis(**log, signer_);
    log_ = *std::move(log);
  }

  WriterOptions Options(bool snapshots, std::vector<Witness> witnesses = {}) {
    WriterOptions options;
    options.key_id = signer_.key_id;
    options.signing_key = signer_.key;
    options.clock = &clock_;
    options.checkpoint_every = 0;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    options.witnesses = std::move(witnesses);
    if (snapshots) options.snapshot_dir = dir_.Sub("snapshots");
    return options;
  }

  std::unique_ptr<Writer> OpenWriter(Log* log, bool snapshots,
                                     std::vector<Witness> witnesses = {}) {
    auto writer = Writer::Open(log, Options(snapshots, std::move(witnesses)));
    EXPECT_THAT(writer, IsOk());
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  void Apply(Writer& writer, const Command& command) {
    auto result = writer.Submit(command);
    ASSERT_THAT(result, IsOk());
    ASSERT_NE(result->outcome(), careledger::v1::OUTCOME_REJECTED) << result->error();
  }

  // The world, five plans, edits and a refusal; then a snapshot; then (with
  // `tail`) more after it: an edit, a new plan, a refusal. Returns the
  // snapshot's path. The writer is closed.
  std::string Fill(bool tail, std::uint64_t* tail_records = nullptr) {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
    if (writer == nullptr) return "";
    for (const auto& result : writer->SubmitAll(world_)) EXPECT_THAT(result, IsOk());
    for (int n = 1; n <= 5; ++n) {
      Apply(*writer, Start(fmt::format("start-{}", n), Patient(n)));
      Apply(*writer, Edit(fmt::format("edit-{}", n), Patient(n), "COPD"));
    }
    (void)writer->Submit(Edit("refused-before", Patient(50), "no plan"));
    auto taken = writer->Snapshot();
    EXPECT_THAT(taken, IsOk());
    if (tail) {
      Apply(*writer, Edit("tail-edit", Patient(1), "Heart failure"));
      Apply(*writer, Start("tail-start", Patient(6)));
      (void)writer->Submit(Edit("refused-after", Patient(51), "no plan"));
      if (tail_records != nullptr) *tail_records = 3;
    }
    return taken.ok() ? taken->path : "";
  }

  // A closed copy of the log directory, opened.
  std::unique_ptr<Log> CopyLog(const std::string& name) {
    log_.reset();
    std::filesystem::copy(dir_.Sub("log"), dir_.Sub(name),
                          std::filesystem::copy_options::recursive);
    Reopen();
    auto copy = OpenEmbeddedLog({dir_.Sub(name), kPartitions, EmbeddedLogMode::kOwner});
    EXPECT_THAT(copy, IsOk());
    return copy.ok() ? *std::move(copy) : nullptr;
  }

  void Reopen() {
    log_.reset();
    auto log = OpenEmbeddedLog({dir_.Sub("log"), kPartitions, EmbeddedLogMode::kOwner});
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
  }

  std::uint64_t WholeLogRecords() {
    auto reader = log_->OpenReader();
    EXPECT_THAT(reader, IsOk());
    auto scan = ScanLog(**reader, &signer_.keyring, 1, nullptr);
    EXPECT_THAT(scan, IsOk());
    return scan.ok() ? scan->records : 0;
  }

  // Rewrites the snapshot at `path` after `change` (a valid file, re-hashed).
  void Rewrite(const std::string& path,
               const std::function<void(careledger::v1::WriterSnapshot*)>& change) {
    auto snapshot = internal::ReadSnapshotFile(path);
    ASSERT_THAT(snapshot, IsOk());
    change(&*snapshot);
    std::filesystem::remove(path);
    auto written = internal::WriteSnapshotFile(dir_.Sub("snapshots"), "writer", *snapshot);
    ASSERT_THAT(written, IsOk());
    ASSERT_EQ(internal::ListSnapshotFiles(dir_.Sub("snapshots"), "writer").front(), *written);
  }

  careledger::testing::TempDir dir_;
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  const std::vector<Command> world_ = tools::SampleDirectoryCommands(Today(clock_.Now()));
  std::unique_ptr<Log> log_;
};

TEST_F(SnapshotTest, SnapshotStartUpRecoversExactlyTheStateOfAWholeRead) {
  const std::string path = Fill(/*tail=*/true);
  ASSERT_FALSE(path.empty());
  {
    // A final checkpoint on every partition, so both states can be compared
    // whole (a snapshot stands at checkpoints).
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
    ASSERT_NE(writer, nullptr);
    ASSERT_THAT(writer->Checkpoint(), IsOk());
  }
  internal::RecoveryOptions options;
  options.remembered_commands = 1'000'000;
  options.threads = 2;
  auto whole = internal::RecoverFromLog(*log_, options);
  ASSERT_THAT(whole, IsOk());
  auto resumed = internal::RecoverFromSnapshot(*log_, path, options);
  ASSERT_THAT(resumed, IsOk());
  ASSERT_TRUE(resumed->recovered.has_value()) << resumed->unusable;
  auto snapshot = internal::ReadSnapshotFile(path);
  ASSERT_THAT(snapshot, IsOk());
  EXPECT_EQ(resumed->recovered->records_read,
            whole->state->record_count() - snapshot->records() + kPartitions)
      << "only the snapshot's checkpoints and what follows them were read";
  EXPECT_LT(resumed->recovered->records_read, whole->records_read);

  auto from_whole = whole->state->ToSnapshot();
  auto from_resumed = resumed->recovered->state->ToSnapshot();
  ASSERT_THAT(from_whole, IsOk());
  ASSERT_THAT(from_resumed, IsOk());
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  // The same remembered commands; their order (which is forgotten first,
  // past remembered_commands) is the order they were folded in: the live
  // writer's arrival order before the snapshot, partition order in a whole
  // read. Everything else must be identical.
  SortCommands(&*from_whole);
  SortCommands(&*from_resumed);
  EXPECT_TRUE(differencer.Compare(*from_whole, *from_resumed)) << differences;
  EXPECT_GT(from_whole->streams_size(), 10);
  EXPECT_GT(from_whole->command_ids_size(), 10);
}

TEST_F(SnapshotTest, AWriterStartedFromASnapshotDecidesAsOneThatReadTheWholeLog) {
  std::uint64_t tail = 0;
  ASSERT_FALSE(Fill(/*tail=*/true, &tail).empty());
  std::unique_ptr<Log> copy = CopyLog("copy");
  ASSERT_NE(copy, nullptr);
  const std::uint64_t records = WholeLogRecords();

  std::unique_ptr<Writer> resumed = OpenWriter(log_.get(), /*snapshots=*/true);
  std::unique_ptr<Writer> whole = OpenWriter(copy.get(), /*snapshots=*/false);
  ASSERT_NE(resumed, nullptr);
  ASSERT_NE(whole, nullptr);
  EXPECT_TRUE(resumed->recovery().from_snapshot) << resumed->recovery().snapshot_rejected;
  EXPECT_TRUE(resumed->recovery().snapshot_rejected.empty());
  EXPECT_FALSE(whole->recovery().from_snapshot);
  EXPECT_EQ(resumed->recovery().records, records);
  EXPECT_EQ(whole->recovery().records, records);
  EXPECT_EQ(resumed->recovery().records_read, tail + kPartitions)
      << "the snapshot's checkpoints and the three records after them";
  EXPECT_EQ(whole->recovery().records_read, records);
  EXPECT_EQ(resumed->recovery().streams, whole->recovery().streams);

  const std::vector<Command> probes = {
      Start("start-2", Patient(2)),                    // a duplicate from before the snapshot
      Edit("tail-edit", Patient(1), "Heart failure"),  // a duplicate from after it
      Edit("refused-before", Patient(50), "no plan"),  // a refusal repeated: rejected again
      Edit("probe-1", Patient(1), "Dementia"),         // the next seq on a stream
      Start("probe-2", Patient(3)),                    // a rule: the plan exists already
      Edit("probe-3", Patient(52), "no plan"),         // a rule: no plan started
      Start("probe-4", Patient(7)),                    // a new stream
      Edit("probe-5", Patient(6), "Frailty"),          // a stream begun after the snapshot
  };
  for (const Command& probe : probes) {
    const std::string from_snapshot = Answer(resumed->Submit(probe));
    EXPECT_EQ(from_snapshot, Answer(whole->Submit(probe))) << probe.command_id();
  }
  auto duplicate = resumed->Submit(probes[0]);
  ASSERT_THAT(duplicate, IsOk());
  EXPECT_EQ(duplicate->outcome(), careledger::v1::OUTCOME_DUPLICATE);
  auto next = resumed->Submit(Edit("probe-6", Patient(1), "Asthma"));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->stream_seq(), 5u) << "start, edit, the tail's edit, probe-1, this";
  resumed.reset();
  // Appended: probe-1, probe-4, probe-5 and probe-6, and one access record
  // for each of the two rule refusals; the duplicates and the repeated
  // refusal nothing. All of it verifies.
  EXPECT_EQ(WholeLogRecords(), records + 6);
}

TEST_F(SnapshotTest, RecordsAppendedAfterASnapshotAreRecoveredAcrossRestarts) {
  ASSERT_FALSE(Fill(/*tail=*/false).empty());
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
    ASSERT_NE(writer, nullptr);
    EXPECT_TRUE(writer->recovery().from_snapshot);
    EXPECT_EQ(writer->recovery().records_read, static_cast<std::uint64_t>(kPartitions + round));
    auto edited = writer->Submit(Edit(fmt::format("round-{}", round), Patient(4), "COPD"));
    ASSERT_THAT(edited, IsOk());
    EXPECT_EQ(edited->stream_seq(), 3u + round) << "start, edit, then one per round";
  }
}

TEST_F(SnapshotTest, AWriterAskedToReadTheWholeLogDoesSoAndStillWritesSnapshots) {
  ASSERT_FALSE(Fill(/*tail=*/true).empty());
  const std::uint64_t records = WholeLogRecords();
  WriterOptions options = Options(/*snapshots=*/true);
  options.open_from_snapshot = false;
  auto writer = Writer::Open(log_.get(), std::move(options));
  ASSERT_THAT(writer, IsOk());
  EXPECT_FALSE((*writer)->recovery().from_snapshot);
  EXPECT_TRUE((*writer)->recovery().snapshot_rejected.empty()) << "none was tried";
  EXPECT_EQ((*writer)->recovery().records_read, records);
  auto taken = (*writer)->Snapshot();
  ASSERT_THAT(taken, IsOk());
  EXPECT_EQ(internal::ListSnapshotFiles(dir_.Sub("snapshots"), "writer").front(), taken->path);
}

// A log that reads empty while a snapshot saw records of it lost them all:
// that is refused, not passed over as a stale cache.
TEST_F(SnapshotTest, AnEmptyLogWhereTheSnapshotSawRecordsIsRefused) {
  const std::string path = Fill(/*tail=*/false);
  ASSERT_FALSE(path.empty());
  auto empty = OpenEmbeddedLog({dir_.Sub("empty"), kPartitions, EmbeddedLogMode::kCreate});
  ASSERT_THAT(empty, IsOk());
  auto writer = Writer::Open(empty->get(), Options(/*snapshots=*/true));
  ASSERT_THAT(writer, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(writer.status().message().find(path), std::string::npos) << writer.status();
  EXPECT_NE(writer.status().message().find("no genesis"), std::string::npos) << writer.status();
  auto reader = (*empty)->OpenReader();
  ASSERT_THAT(reader, IsOk());
  auto batch = (*reader)->Read(10, std::chrono::milliseconds(0));
  ASSERT_THAT(batch, IsOk());
  EXPECT_TRUE(batch->records.empty()) << "nothing was appended";
}

TEST_F(SnapshotTest, SnapshotNeedsADirectoryAndKeepsTheNewestTwo) {
  {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/false);
    ASSERT_NE(writer, nullptr);
    EXPECT_THAT(writer->Snapshot(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
  ASSERT_NE(writer, nullptr);
  std::vector<std::string> paths;
  for (int n = 0; n < 3; ++n) {
    auto taken = writer->Snapshot();
    ASSERT_THAT(taken, IsOk());
    ASSERT_EQ(taken->digests.size(), static_cast<std::size_t>(kPartitions));
    paths.push_back(taken->path);
  }
  const std::vector<std::string> kept =
      internal::ListSnapshotFiles(dir_.Sub("snapshots"), "writer");
  EXPECT_EQ(kept, (std::vector<std::string>{paths[2], paths[1]}));
  EXPECT_FALSE(std::filesystem::exists(paths[0]));
  const auto mode = std::filesystem::status(paths[2]).permissions();
  EXPECT_EQ(mode & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// A snapshot that must not be used: the writer reads the whole log instead,
// recovers the same, and its report names the file and the reason.
struct Damage {
  std::string name;
  std::string reason_part;  // in RecoveryReport::snapshot_rejected
  std::function<void(SnapshotTest*, const std::string& path)> apply;
};

void PrintTo(const Damage& damage, std::ostream* out) { *out << damage.name; }

class SnapshotFallbackTest : public SnapshotTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(SnapshotFallbackTest, FallsBackToTheWholeLogAndSaysWhy) {
  const std::string path = Fill(/*tail=*/true);
  ASSERT_FALSE(path.empty());
  GetParam().apply(this, path);
  const std::string used = internal::ListSnapshotFiles(dir_.Sub("snapshots"), "writer").front();
  const std::uint64_t records = WholeLogRecords();
  std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
  ASSERT_NE(writer, nullptr);
  const RecoveryReport& report = writer->recovery();
  EXPECT_FALSE(report.from_snapshot);
  EXPECT_EQ(report.snapshot_path, used);
  EXPECT_NE(report.snapshot_rejected.find(used), std::string::npos) << report.snapshot_rejected;
  EXPECT_NE(report.snapshot_rejected.find(GetParam().reason_part), std::string::npos)
      << report.snapshot_rejected;
  EXPECT_EQ(report.records, records);
  EXPECT_EQ(report.records_read, records) << "the whole log was read";
  auto duplicate = writer->Submit(Start("start-3", Patient(3)));
  ASSERT_THAT(duplicate, IsOk());
  EXPECT_EQ(duplicate->outcome(), careledger::v1::OUTCOME_DUPLICATE);
  auto next = writer->Submit(Edit("after-fallback", Patient(1), "Asthma"));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->stream_seq(), 4u);
}

INSTANTIATE_TEST_SUITE_P(
    Damages, SnapshotFallbackTest,
    ::testing::Values(
        Damage{"FlippedByte", "SHA-256",
               [](SnapshotTest*, const std::string& path) {
                 std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
                 file.seekg(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
                 char byte = 0;
                 file.read(&byte, 1);
                 file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
                 byte = static_cast<char>(byte ^ 0x20);
                 file.write(&byte, 1);
               }},
        Damage{"Truncated", "does not parse",
               [](SnapshotTest*, const std::string& path) {
                 std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
               }},
        Damage{"NamesACheckpointTheLogDoesNotHave", "partition 1",
               [](SnapshotTest* test, const std::string& path) {
                 // Partition 1's position moved to the record before its
                 // checkpoint: a valid file whose checkpoint is not there.
                 test->Rewrite(path, [](careledger::v1::WriterSnapshot* snapshot) {
                   careledger::v1::SnapshotPosition* position = snapshot->mutable_positions(1);
                   position->set_checkpoint_offset(position->checkpoint_offset() - 1);
                   position->mutable_after()->set_last_offset(position->checkpoint_offset());
                 });
               }},
        Damage{"StatesAnotherDigest", "checkpoint",
               [](SnapshotTest* test, const std::string& path) {
                 test->Rewrite(path, [](careledger::v1::WriterSnapshot* snapshot) {
                   std::string* hash =
                       snapshot->mutable_positions(2)->mutable_stated()->mutable_running_hash();
                   (*hash)[0] = static_cast<char>((*hash)[0] ^ 1);
                 });
               }},
        Damage{
            "OfAnotherLog", "is of log",
            [](SnapshotTest* test, const std::string& path) {
              // A real snapshot of another log, in place of this one's.
              careledger::testing::TempDir other;
              auto log = OpenEmbeddedLog({other.Sub("log"), kPartitions, EmbeddedLogMode::kCreate});
              ASSERT_THAT(log, IsOk());
              careledger::testing::WriteTestGenesis(**log, test->signer_);
              WriterOptions options = test->Options(/*snapshots=*/false);
              options.snapshot_dir = other.Sub("snapshots");
              auto writer = Writer::Open(log->get(), std::move(options));
              ASSERT_THAT(writer, IsOk());
              for (const auto& result : (*writer)->SubmitAll(test->world_)) {
                ASSERT_THAT(result, IsOk());
              }
              auto taken = (*writer)->Snapshot();
              ASSERT_THAT(taken, IsOk());
              auto snapshot = internal::ReadSnapshotFile(taken->path);
              ASSERT_THAT(snapshot, IsOk());
              snapshot->set_records(snapshot->records() + 1000);  // sorts newest
              ASSERT_THAT(
                  internal::WriteSnapshotFile(test->dir_.Sub("snapshots"), "writer", *snapshot),
                  IsOk());
              std::filesystem::remove(path);
            }}),
    [](const ::testing::TestParamInfo<Damage>& param) { return param.param.name; });

TEST_F(SnapshotTest, AnOlderSnapshotIsUsedWhenTheNewestIsDamaged) {
  const std::string older = Fill(/*tail=*/false);
  ASSERT_FALSE(older.empty());
  std::string newer;
  {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
    ASSERT_NE(writer, nullptr);
    Apply(*writer, Edit("between", Patient(2), "Asthma"));
    auto taken = writer->Snapshot();
    ASSERT_THAT(taken, IsOk());
    newer = taken->path;
  }
  std::filesystem::resize_file(newer, 10);
  std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
  ASSERT_NE(writer, nullptr);
  EXPECT_TRUE(writer->recovery().from_snapshot);
  EXPECT_EQ(writer->recovery().snapshot_path, older);
  EXPECT_NE(writer->recovery().snapshot_rejected.find(newer), std::string::npos);
  auto next = writer->Submit(Edit("after", Patient(2), "COPD"));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->stream_seq(), 4u) << "start, edit, between (read after the older snapshot)";
}

TEST_F(SnapshotTest, ALogCutBeforeTheSnapshotIsRefused) {
  {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/false);
    ASSERT_NE(writer, nullptr);
    for (const auto& result : writer->SubmitAll(world_)) EXPECT_THAT(result, IsOk());
  }
  // The same log as it was then (a backup, say), then the log grows and is
  // snapshotted.
  std::unique_ptr<Log> earlier = CopyLog("earlier");
  ASSERT_NE(earlier, nullptr);
  earlier.reset();
  ASSERT_FALSE(Fill(/*tail=*/true).empty());
  log_.reset();
  std::filesystem::rename(dir_.Sub("log"), dir_.Sub("log.aside"));
  std::filesystem::rename(dir_.Sub("earlier"), dir_.Sub("log"));
  Reopen();
  auto refused = Writer::Open(log_.get(), Options(/*snapshots=*/true));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(refused.status().message().find("snapshot"), std::string::npos) << refused.status();
}

TEST_F(SnapshotTest, WitnessesAreStillChecked) {
  std::vector<events::PartitionDigest> heads;
  const std::string path = Fill(/*tail=*/false);
  ASSERT_FALSE(path.empty());
  {
    WriterOptions options = Options(/*snapshots=*/true);
    options.on_durable = [&](std::span<const events::PartitionDigest> digests) {
      heads.assign(digests.begin(), digests.end());
    };
    auto writer = Writer::Open(log_.get(), std::move(options));
    ASSERT_THAT(writer, IsOk());
    Apply(**writer, Edit("witnessed", Patient(5), "Asthma"));
  }
  ASSERT_EQ(heads.size(), static_cast<std::size_t>(kPartitions));
  std::vector<Witness> witnesses;
  for (std::int32_t p = 0; p < kPartitions; ++p) witnesses.push_back({p, heads[p], "test heads"});

  // Heads after the snapshot hold: the snapshot is used.
  {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), true, witnesses);
    ASSERT_NE(writer, nullptr);
    EXPECT_TRUE(writer->recovery().from_snapshot) << writer->recovery().snapshot_rejected;
  }
  // A witness that saw a record more (lost since) refuses the writer.
  Witness further = witnesses[0];
  further.digest.Add(further.digest.last_offset + 1, events::Sha256("lost record"));
  EXPECT_THAT(Writer::Open(log_.get(), Options(true, {further})),
              StatusIs(absl::StatusCode::kDataLoss));
  // One that hashes differently after the snapshot (rewritten) too.
  Witness rewritten = witnesses[1];
  rewritten.digest.running[0] ^= 1;
  auto refused = Writer::Open(log_.get(), Options(true, {rewritten}));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(refused.status().message().find("rewritten"), std::string::npos) << refused.status();
  // One before the snapshot's checkpoint (the genesis of its busiest
  // partition) can only be checked by a whole read: that is what happens,
  // and it is checked.
  auto snapshot = internal::ReadSnapshotFile(path);
  ASSERT_THAT(snapshot, IsOk());
  std::int32_t busiest = 0;
  for (const careledger::v1::SnapshotPosition& position : snapshot->positions()) {
    if (position.checkpoint_offset() > snapshot->positions(busiest).checkpoint_offset()) {
      busiest = position.partition();
    }
  }
  ASSERT_GE(snapshot->positions(busiest).checkpoint_offset(), 2);
  Witness early{busiest, events::PartitionDigest{}, "early"};
  {
    auto reader = log_->OpenReader();
    ASSERT_THAT(reader, IsOk());
    auto scan = ScanLog(**reader, nullptr, 1,
                        [&](std::int32_t partition, const events::VerifiedRecord& record) {
                          if (partition == busiest && record.offset == 0) {
                            early.digest.Add(record.offset, record.opened.value_hash);
                          }
                        });
    ASSERT_THAT(scan, IsOk());
  }
  std::unique_ptr<Writer> writer = OpenWriter(log_.get(), true, {early});
  ASSERT_NE(writer, nullptr);
  EXPECT_FALSE(writer->recovery().from_snapshot);
  EXPECT_NE(writer->recovery().snapshot_rejected.find("witness"), std::string::npos);
  writer.reset();
  early.digest.running[3] ^= 1;
  EXPECT_THAT(Writer::Open(log_.get(), Options(true, {early})),
              StatusIs(absl::StatusCode::kDataLoss));
}

// A closed investigation case stays closed for a writer started from a
// snapshot (SnapshotStream.case_closed), and an open one open.
TEST_F(SnapshotTest, AClosedCaseStaysClosedAcrossASnapshotStartUp) {
  const careledger::v1::Actor auditor = tools::SampleWorldActors().auditor;
  const auto as_auditor = [&](const std::string& id) {
    Command command;
    command.set_command_id(id);
    *command.mutable_actor() = auditor;
    return command;
  };
  const auto note = [&](const std::string& id, const std::string& case_id) {
    Command command = as_auditor(id);
    command.mutable_add_case_note()->set_case_id(case_id);
    command.mutable_add_case_note()->set_note("a note");
    return command;
  };
  {
    std::unique_ptr<Writer> writer = OpenWriter(log_.get(), /*snapshots=*/true);
    ASSERT_NE(writer, nullptr);
    for (const auto& result : writer->SubmitAll(world_)) EXPECT_THAT(result, IsOk());
    for (const char* case_id : {"case-closed", "case-open"}) {
      Command open = as_auditor(fmt::format("open-{}", case_id));
      open.mutable_open_case()->set_case_id(case_id);
      open.mutable_open_case()->set_title("a case");
      open.mutable_open_case()->set_user_id("crew.lee");
      Apply(*writer, open);
    }
    Command close = as_auditor("close-1");
    close.mutable_close_case()->set_case_id("case-closed");
    close.mutable_close_case()->set_outcome(careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED);
    Apply(*writer, close);
    ASSERT_THAT(writer->Snapshot(), IsOk());
  }
  std::unique_ptr<Writer> resumed = OpenWriter(log_.get(), /*snapshots=*/true);
  ASSERT_NE(resumed, nullptr);
  EXPECT_TRUE(resumed->recovery().from_snapshot) << resumed->recovery().snapshot_rejected;
  auto refused = resumed->Submit(note("note-closed", "case-closed"));
  ASSERT_THAT(refused, IsOk());
  EXPECT_EQ(refused->outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_NE(refused->error().find("is closed"), std::string::npos) << refused->error();
  auto noted = resumed->Submit(note("note-open", "case-open"));
  ASSERT_THAT(noted, IsOk());
  EXPECT_EQ(noted->outcome(), careledger::v1::OUTCOME_APPLIED) << noted->error();
}

// The writer's plan state keeps what its rules read, so it does not grow
// with a plan's history: open requests stay (a resolution needs one),
// resolved ones go; so do urgent care notes.
TEST(LedgerStateTest, KeepsOpenRequestsAndDropsResolvedOnes) {
  internal::LedgerState state(1, 100);
  const std::string stream = "patient/" + Patient(1);
  std::int64_t offset = 0;
  const auto apply = [&](careledger::v1::Event event) {
    event.set_stream_id(stream);
    event.set_stream_seq(static_cast<std::uint64_t>(offset) + 1);
    *event.mutable_actor() = tools::SampleWorldActors().patient;
    state.Apply(0, offset, event, events::Sha256(event.SerializeAsString()));
    ++offset;
  };
  for (const char* id : {"request-1", "request-2"}) {
    careledger::v1::Event made;
    made.set_command_id(id);
    made.mutable_patient_request_made()->set_kind(careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
    made.mutable_patient_request_made()->set_text("please change my plan");
    apply(made);
  }
  careledger::v1::Event resolved;
  resolved.set_command_id("resolve-1");
  resolved.mutable_patient_request_resolved()->set_request_id("request-1");
  resolved.mutable_patient_request_resolved()->set_resolution(
      careledger::v1::REQUEST_RESOLUTION_RESOLVED);
  apply(resolved);
  const internal::StreamState* found = state.Find(stream);
  ASSERT_NE(found, nullptr);
  ASSERT_EQ(found->plan.requests_size(), 1);
  EXPECT_EQ(found->plan.requests(0).request_id(), "request-2");
  EXPECT_EQ(events::FindOpenRequest(found->plan, "request-2"), &found->plan.requests(0));
  EXPECT_EQ(found->head.seq, 3u);

  careledger::v1::PlanState with_notes = found->plan;
  with_notes.add_notes()->set_text("a note");
  internal::KeepWhatRulesRead(&with_notes);
  EXPECT_EQ(with_notes.notes_size(), 0);
  EXPECT_EQ(with_notes.requests_size(), 1);
}

}  // namespace
}  // namespace careledger::ledger
