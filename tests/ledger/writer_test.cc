// Proves the writer's contract (ledger/writer.h) on the embedded log: signed,
// chained events that verify; refusals that append no plan event but one
// access record of the attempt; idempotency across restarts (refusals
// included); optimistic concurrency; recovery; checkpoints; and what happens
// when an append fails before, after, or because of fencing.
//
// Every test first registers the sample world's directory
// (tools/sample_world.h): actors must meet the access prerequisites.
#include "ledger/writer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "events/failure.h"
#include "ledger/dates.h"
#include "ledger/embedded_log.h"
#include "ledger/log_scan.h"
#include "tests/support/faulty_log.h"
#include "tests/support/read_log.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;

constexpr char kPatient[] = "9990000018";

Command Start(const std::string& id, const std::string& nhs = kPatient) {
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

Command Edit(const std::string& id, const std::string& diagnosis,
             const std::string& nhs = kPatient) {
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

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenLog(); }

  void OpenLog(const std::string& name = "log") {
    writer_.reset();
    log_.reset();
    const bool creating = !std::filesystem::exists(dir_.Sub(name));
    auto log = OpenEmbeddedLog(
        {dir_.Sub(name), 4, creating ? EmbeddedLogMode::kCreate : EmbeddedLogMode::kOwner});
    ASSERT_THAT(log, IsOk());
    if (creating) careledger::testing::WriteTestGenesis(**log, signer_);
    log_ = std::make_unique<careledger::testing::FaultyLog>(*std::move(log));
  }

  // Opens the writer and registers the sample world's directory (a replay
  // after a restart: every command is answered DUPLICATE, nothing appended).
  void OpenWriter(std::uint64_t checkpoint_every = 0, std::size_t max_batch = 1024) {
    WriterOptions options;
    options.key_id = signer_.key_id;
    options.signing_key = signer_.key;
    options.clock = &clock_;
    options.checkpoint_every = checkpoint_every;
    options.checkpoint_interval = std::chrono::milliseconds(0);  // counts stay exact
    options.max_batch = max_batch;
    options.own_signatures = own_signatures_;
    auto writer = Writer::Open(log_.get(), std::move(options));
    ASSERT_THAT(writer, IsOk());
    writer_ = *std::move(writer);
    for (const auto& result : writer_->SubmitAll(world_)) {
      ASSERT_THAT(result, IsOk());
      ASSERT_NE(result->outcome(), careledger::v1::OUTCOME_REJECTED) << result->error();
    }
  }

  CommandResult Submit(const Command& command) {
    auto result = writer_->Submit(command);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : CommandResult();
  }

  // Verifies the whole log with signatures; returns the number of records.
  std::uint64_t VerifiedRecords() {
    auto reader = log_->OpenReader();
    EXPECT_THAT(reader, IsOk());
    auto report = ScanLog(**reader, &signer_.keyring, 2, nullptr);
    EXPECT_THAT(report, IsOk());
    if (!report.ok()) return 0;
    EXPECT_TRUE(report->stops.empty()) << report->stops.front().Describe();
    return report->records;
  }

  // Every event in the log, partition by partition.
  std::vector<Event> ReadEvents() {
    std::vector<Event> out;
    auto reader = log_->OpenReader();
    EXPECT_THAT(reader, IsOk());
    if (!reader.ok()) return out;
    auto report =
        ScanLog(**reader, nullptr, 1, [&](std::int32_t, const events::VerifiedRecord& record) {
          out.push_back(record.opened.event);
        });
    EXPECT_THAT(report, IsOk());
    return out;
  }

  // How many events the log holds on streams starting with `prefix`.
  std::size_t CountStreamEvents(const std::string& prefix) {
    std::size_t count = 0;
    for (const Event& event : ReadEvents()) count += event.stream_id().starts_with(prefix) ? 1 : 0;
    return count;
  }

  careledger::testing::TempDir dir_;
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  const std::vector<Command> world_ = tools::SampleDirectoryCommands(Today(clock_.Now()));
  // The records before each test's own: the four partitions' geneses and
  // the sample world's registration.
  const std::uint64_t world_records_ = 4 + world_.size();
  std::unique_ptr<careledger::testing::FaultyLog> log_;
  std::shared_ptr<events::OwnSignatures> own_signatures_ =
      std::make_shared<events::OwnSignatures>();
  std::unique_ptr<Writer> writer_;
};

TEST_F(WriterTest, AppliedCommandsBecomeVerifiableChainedEvents) {
  OpenWriter();
  CommandResult started = Submit(Start("c1"));
  EXPECT_EQ(started.outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(started.stream_id(), "patient/9990000018");
  EXPECT_EQ(started.stream_seq(), 1u);
  CommandResult edited = Submit(Edit("c2", "COPD"));
  EXPECT_EQ(edited.stream_seq(), 2u);
  EXPECT_EQ(edited.partition(), started.partition());
  EXPECT_EQ(edited.offset(), started.offset() + 1);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 2);
}

TEST_F(WriterTest, NotesEveryRecordItSignsAndNothingElse) {
  OpenWriter();
  Submit(Start("c1"));
  Submit(Edit("c2", "COPD"));
  auto reader = log_->OpenReader();
  ASSERT_THAT(reader, IsOk());
  std::size_t noted = 0;
  auto report =
      ScanLog(**reader, nullptr, 1, [&](std::int32_t, const events::VerifiedRecord& record) {
        const bool made = own_signatures_->Made(record.opened.value_hash, signer_.key.public_key());
        // The geneses were written before this writer opened, by the test.
        EXPECT_EQ(made, !record.opened.event.has_log_genesis()) << record.opened.event.stream_id();
        noted += made ? 1 : 0;
      });
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(noted, world_records_ - 4 + 2);
  EXPECT_EQ(own_signatures_->size(), noted);
}

TEST_F(WriterTest, RefusedCommandsAppendNoPlanEventButOneAccessRecordEach) {
  OpenWriter();
  const int appends_before = log_->appends();
  Command bad_nhs = Start("c1", "9990000017");
  Command no_plan = Edit("c2", "COPD");
  Command no_id = Start("");
  Command stranger = Start("c3");
  stranger.mutable_actor()->set_user_id("stranger");
  const std::vector<Command> refused = {bad_nhs, no_plan, no_id, stranger};
  std::vector<CommandResult> results;
  for (const Command& command : refused) {
    CommandResult result = Submit(command);
    EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED) << command.DebugString();
    EXPECT_FALSE(result.error().empty());
    EXPECT_EQ(result.stream_id(), "access/0") << "the answer cites the access record";
    results.push_back(result);
  }
  EXPECT_EQ(VerifiedRecords(), world_records_ + refused.size());
  EXPECT_EQ(log_->appends() - appends_before, 4) << "one access record per refusal";
  EXPECT_EQ(CountStreamEvents("patient/"), 0u) << "no plan event";
  std::vector<Event> access;
  for (const Event& event : ReadEvents()) {
    if (event.stream_id() == "access/0") access.push_back(event);
  }
  ASSERT_EQ(access.size(), refused.size());
  for (std::size_t i = 0; i < refused.size(); ++i) {
    const Event& event = access[i];
    EXPECT_EQ(event.stream_seq(), i + 1);
    EXPECT_EQ(event.command_id(), refused[i].command_id());
    EXPECT_EQ(event.actor().user_id(), refused[i].actor().user_id());
    EXPECT_EQ(event.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    EXPECT_EQ(event.access_recorded().action(),
              refused[i].has_start_plan() ? "start_plan" : "update_plan_section");
    EXPECT_EQ(event.access_recorded().reason(), results[i].error());
  }
  // Each answer carries its access record's bytes exactly as the log holds
  // them (the service's receipt), with no read back from the log.
  std::map<std::pair<std::int32_t, std::int64_t>, std::string> values;
  for (const events::LogRecord& record : careledger::testing::ReadAll(*log_)) {
    values[{record.partition, record.offset}] = record.value;
  }
  for (const CommandResult& result : results) {
    EXPECT_FALSE(result.record().empty());
    const std::pair<std::int32_t, std::int64_t> position{result.partition(), result.offset()};
    EXPECT_EQ(result.record(), values[position]);
  }
  EXPECT_NE(results[0].error().find("modulus 11"), std::string::npos) << results[0].error();
  EXPECT_NE(results[1].error().find("no plan has been started"), std::string::npos);
  EXPECT_NE(results[2].error().find("needs a command_id"), std::string::npos);
  EXPECT_NE(results[3].error().find("user stranger is not registered"), std::string::npos);
}

TEST_F(WriterTest, CommandWhoseCredentialsTheFrontEndRefusedIsRefusedWithItsReason) {
  OpenWriter();
  Command refused = Start("c1");  // valid, from a registered user: would apply
  refused.set_refused_credentials("the device's certificate is another device's");
  const CommandResult result = Submit(refused);
  EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(result.error(), "credentials refused: the device's certificate is another device's");
  EXPECT_EQ(CountStreamEvents("patient/"), 0u) << "no plan event";
  const std::vector<Event> events = ReadEvents();
  ASSERT_FALSE(events.empty());
  const Event& recorded = events.back();
  EXPECT_EQ(recorded.stream_id(), "access/0");
  EXPECT_EQ(recorded.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(recorded.access_recorded().reason(), result.error());
  EXPECT_EQ(recorded.actor().user_id(), refused.actor().user_id());
}

TEST_F(WriterTest, RetriedRefusalIsAnsweredRejectedAgainAndAppendsNothingEvenAfterRestart) {
  OpenWriter();
  Command approve;
  approve.set_command_id("approve-1");
  *approve.mutable_actor() = tools::SampleWorldActors().care_home_admin;
  approve.mutable_approve_plan()->set_nhs_number(kPatient);
  Submit(Start("c1"));
  CommandResult first = Submit(approve);
  ASSERT_EQ(first.outcome(), careledger::v1::OUTCOME_REJECTED);
  const std::uint64_t records = VerifiedRecords();
  const int appends = log_->appends();
  CommandResult again = Submit(approve);
  EXPECT_EQ(again.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(again.error(), first.error());
  EXPECT_EQ(again.stream_id(), first.stream_id());
  EXPECT_EQ(again.stream_seq(), first.stream_seq());
  EXPECT_EQ(again.offset(), first.offset());
  EXPECT_EQ(log_->appends(), appends);
  // In one batch, twice more.
  auto batch = writer_->SubmitAll(std::vector<Command>{approve, approve});
  for (const auto& result : batch) {
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->outcome(), careledger::v1::OUTCOME_REJECTED);
    EXPECT_EQ(result->offset(), first.offset());
  }
  OpenLog();
  OpenWriter();
  CommandResult after_restart = Submit(approve);
  EXPECT_EQ(after_restart.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_EQ(after_restart.error(), first.error());
  EXPECT_EQ(after_restart.offset(), first.offset());
  EXPECT_EQ(VerifiedRecords(), records);
}

TEST_F(WriterTest, RetriedCommandIsAnsweredNotReappliedEvenAfterRestart) {
  OpenWriter();
  CommandResult first = Submit(Start("c1"));
  CommandResult again = Submit(Start("c1"));
  EXPECT_EQ(again.outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(again.offset(), first.offset());
  OpenLog();
  OpenWriter();
  CommandResult after_restart = Submit(Start("c1"));
  EXPECT_EQ(after_restart.outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(after_restart.stream_seq(), 1u);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 1);
}

TEST_F(WriterTest, SameCommandTwiceInOneBatchIsAppliedOnce) {
  OpenWriter();
  std::vector<Command> commands = {Start("c1"), Start("c1"), Edit("c2", "x"), Edit("c2", "x")};
  auto results = writer_->SubmitAll(commands);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0]->outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(results[1]->outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(results[3]->outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(results[3]->stream_seq(), 2u);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 2);
}

TEST_F(WriterTest, RepeatOfACommandStillBeingAppendedIsAnsweredAsDuplicate) {
  // Batches of two: the repeats land in the batch decided while the original's
  // append is in flight (the commit pipeline).
  OpenWriter(/*checkpoint_every=*/0, /*max_batch=*/2);
  for (int round = 0; round < 20; ++round) {
    const std::string tag = std::to_string(round);
    std::vector<Command> commands = {Edit("a" + tag, "x"), Edit("b" + tag, "y"),
                                     Edit("a" + tag, "x"), Edit("c" + tag, "z"),
                                     Edit("b" + tag, "y")};
    if (round == 0) commands.insert(commands.begin(), Start("s"));
    auto results = writer_->SubmitAll(commands);
    const std::size_t base = round == 0 ? 1 : 0;
    ASSERT_THAT(results[base + 2], IsOk());
    EXPECT_EQ(results[base + 2]->outcome(), careledger::v1::OUTCOME_DUPLICATE);
    EXPECT_EQ(results[base + 2]->stream_seq(), results[base]->stream_seq());
    EXPECT_EQ(results[base + 2]->offset(), results[base]->offset());
    EXPECT_EQ(results[base + 4]->outcome(), careledger::v1::OUTCOME_DUPLICATE);
    EXPECT_EQ(results[base + 4]->offset(), results[base + 1]->offset());
  }
  EXPECT_EQ(VerifiedRecords(), world_records_ + 1 + 20 * 3);
}

TEST_F(WriterTest, ExpectedVersionIsEnforced) {
  OpenWriter();
  Command start = Start("c1");
  start.set_expected_version(0);
  EXPECT_EQ(Submit(start).outcome(), careledger::v1::OUTCOME_APPLIED);
  Command stale = Edit("c2", "COPD");
  stale.set_expected_version(0);
  CommandResult refused = Submit(stale);
  EXPECT_EQ(refused.outcome(), careledger::v1::OUTCOME_REJECTED);
  EXPECT_NE(refused.error().find("version"), std::string::npos);
  Command current = Edit("c3", "COPD");
  current.set_expected_version(1);
  EXPECT_EQ(Submit(current).outcome(), careledger::v1::OUTCOME_APPLIED);
  // The refusal left its access record, and no plan event.
  EXPECT_EQ(VerifiedRecords(), world_records_ + 3);
  EXPECT_EQ(CountStreamEvents("patient/"), 2u);
}

TEST_F(WriterTest, RestartRecoversHeadsAndPlanState) {
  OpenWriter();
  Submit(Start("c1"));
  Submit(Edit("c2", "COPD"));
  OpenLog();
  OpenWriter();
  EXPECT_EQ(writer_->recovery().records, world_records_ + 2);
  CommandResult restarted = Submit(Start("c3"));
  EXPECT_EQ(restarted.outcome(), careledger::v1::OUTCOME_REJECTED)
      << "recovered state knows the plan exists";
  EXPECT_NE(restarted.error().find("already has a plan"), std::string::npos);
  EXPECT_EQ(Submit(Edit("c4", "heart failure")).stream_seq(), 3u);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 4);
  // The recovered directory still knows the actors: a stranger is refused.
  Command stranger = Edit("c5", "x");
  stranger.mutable_actor()->set_user_id("stranger");
  EXPECT_EQ(Submit(stranger).outcome(), careledger::v1::OUTCOME_REJECTED);
}

TEST_F(WriterTest, ConcurrentSubmittersAreAllAppliedInOneValidChainPerStream) {
  OpenWriter();
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string nhs = t % 2 == 0 ? "9990000018" : "9990000026";
      (void)writer_->Submit(Start(fmt::format("start-{}", t), nhs));  // one wins per patient
      for (int i = 0; i < kPerThread; ++i) {
        auto result = writer_->Submit(Edit(fmt::format("e-{}-{}", t, i), "x", nhs));
        EXPECT_THAT(result, IsOk());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Two starts won; the six others were refused, each leaving an access record.
  EXPECT_EQ(VerifiedRecords(), world_records_ + kThreads + kThreads * kPerThread);
  EXPECT_EQ(CountStreamEvents("patient/"), 2u + kThreads * kPerThread);
  EXPECT_EQ(CountStreamEvents("access/"), kThreads - 2u);
}

TEST_F(WriterTest, CommitStatsCountCommandsPerGroupCommitAndWhereEachPartitionEnds) {
  OpenWriter();  // the sample world's directory, one SubmitAll
  CommitStats stats = writer_->commit_stats();
  EXPECT_EQ(stats.commands, world_.size());
  EXPECT_EQ(stats.records, world_.size());  // one directory event each
  EXPECT_GE(stats.appends, 1u);
  EXPECT_EQ(stats.appends_at_most.back(), stats.appends);  // none over max_batch
  Submit(Start("stats-start", "9990000018"));
  stats = writer_->commit_stats();
  EXPECT_EQ(stats.commands, world_.size() + 1);
  ASSERT_EQ(stats.next_offsets.size(), 4u);
  std::int64_t records = 0;  // embedded offsets are contiguous from 0
  for (std::int64_t next : stats.next_offsets) records += next;
  EXPECT_EQ(static_cast<std::uint64_t>(records), VerifiedRecords());
  // A restarted writer counts from zero and knows where the log ends.
  const std::vector<std::int64_t> ends = stats.next_offsets;
  writer_.reset();
  WriterOptions options;
  options.key_id = signer_.key_id;
  options.signing_key = signer_.key;
  options.clock = &clock_;
  options.checkpoint_every = 0;
  options.checkpoint_interval = std::chrono::milliseconds(0);
  auto reopened = Writer::Open(log_.get(), std::move(options));
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ((*reopened)->commit_stats().appends, 0u);
  EXPECT_EQ((*reopened)->commit_stats().next_offsets, ends);
}

TEST_F(WriterTest, FailureBeforeTheWriteAppendsNothingAndTheRetryApplies) {
  OpenWriter();
  Submit(Start("c1"));
  log_->FailNextAppend(careledger::testing::AppendFault::kFailBeforeWrite);
  EXPECT_THAT(writer_->Submit(Edit("c2", "COPD")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(VerifiedRecords(), world_records_ + 1);
  EXPECT_EQ(Submit(Edit("c2", "COPD")).outcome(), careledger::v1::OUTCOME_APPLIED);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 2);
}

TEST_F(WriterTest, UnknownOutcomeIsResolvedByRereadingTheLog) {
  OpenWriter();
  Submit(Start("c1"));
  log_->FailNextAppend(careledger::testing::AppendFault::kFailAfterWrite);
  EXPECT_THAT(writer_->Submit(Edit("c2", "COPD")), StatusIs(absl::StatusCode::kUnavailable));
  // The record did reach the log: the retry is answered, not applied twice,
  // and the next command extends the chain correctly.
  EXPECT_EQ(Submit(Edit("c2", "COPD")).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(Submit(Edit("c3", "asthma")).stream_seq(), 3u);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 3);
}

TEST_F(WriterTest, WriterThatMustBeReopenedIsReplacedAndCarriesOn) {
  OpenWriter();
  Submit(Start("c1"));
  EXPECT_EQ(log_->writers_opened(), 1);
  log_->FailNextAppend(careledger::testing::AppendFault::kMustReopen);
  EXPECT_THAT(writer_->Submit(Edit("c2", "COPD")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(log_->writers_opened(), 2) << "the log writer is replaced, not reused";
  EXPECT_EQ(Submit(Edit("c2", "COPD")).outcome(), careledger::v1::OUTCOME_DUPLICATE);
  EXPECT_EQ(Submit(Edit("c3", "asthma")).stream_seq(), 3u);
  EXPECT_EQ(VerifiedRecords(), world_records_ + 3);
}

// With small batches, several are in the pipeline at once: a batch is sealed
// on top of one whose append then fails. Nothing may be lost, duplicated or
// chained onto the failed batch.
TEST_F(WriterTest, BatchSealedOnTopOfAFailedAppendIsDecidedAgain) {
  for (auto fault : {careledger::testing::AppendFault::kFailBeforeWrite,
                     careledger::testing::AppendFault::kFailAfterWrite}) {
    SCOPED_TRACE(fault == careledger::testing::AppendFault::kFailBeforeWrite ? "before write"
                                                                             : "after write");
    // A new empty log for each fault.
    OpenLog(fault == careledger::testing::AppendFault::kFailBeforeWrite ? "before" : "after");
    OpenWriter(/*checkpoint_every=*/0, /*max_batch=*/4);
    Submit(Start("c0"));
    std::vector<Command> edits;
    for (int i = 0; i < 20; ++i)
      edits.push_back(Edit(fmt::format("e{}", i), fmt::format("v{}", i)));
    log_->FailNextAppend(fault);
    auto first = writer_->SubmitAll(edits);
    int unavailable = 0;
    for (const auto& result : first) {
      if (!result.ok()) {
        EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable));
        ++unavailable;
      }
    }
    EXPECT_GT(unavailable, 0) << "the injected failure hit a batch";
    EXPECT_LT(unavailable, 20) << "later batches were decided again and applied";
    // Clients retry what failed; every edit ends up exactly once, in order.
    auto retried = writer_->SubmitAll(edits);
    std::set<std::uint64_t> seqs;
    for (const auto& result : retried) {
      ASSERT_THAT(result, IsOk());
      EXPECT_NE(result->outcome(), careledger::v1::OUTCOME_REJECTED);
      seqs.insert(result->stream_seq());
    }
    EXPECT_EQ(seqs.size(), 20u) << "each edit has its own stream position";
    EXPECT_EQ(VerifiedRecords(), world_records_ + 21);
  }
}

TEST_F(WriterTest, FencedWriterStopsForGood) {
  OpenWriter();
  Submit(Start("c1"));
  log_->FailNextAppend(careledger::testing::AppendFault::kFenced);
  EXPECT_THAT(writer_->Submit(Edit("c2", "COPD")), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(writer_->Submit(Edit("c3", "COPD")), StatusIs(absl::StatusCode::kAborted))
      << "a fenced writer must not append again";
  EXPECT_EQ(VerifiedRecords(), world_records_ + 1);
}

TEST_F(WriterTest, CheckpointsCoverTheLogAndAreAppendedAutomatically) {
  OpenWriter(/*checkpoint_every=*/3);
  for (int i = 0; i < 3; ++i) {
    Submit(Start(fmt::format("s{}", i), fmt::format("99900000{}", i == 0   ? "18"
                                                                  : i == 1 ? "26"
                                                                           : "34")));
  }
  for (int i = 0; i < 6; ++i) Submit(Edit(fmt::format("e{}", i), "x"));
  ASSERT_THAT(writer_->Checkpoint(), IsOk());
  auto reader = log_->OpenReader();
  auto report = ScanLog(**reader, &signer_.keyring, 2, nullptr);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->stops.empty());
  // 9 commands, at least 2 automatic checkpoints on patient 18's partition
  // (6 edits + 1 start >= 2 x 3), plus one forced per partition.
  EXPECT_GE(report->checkpoints, 2u + 4u);
  EXPECT_EQ(report->records, world_records_ + 9u + report->checkpoints);
}

TEST_F(WriterTest, RefusesToOpenOnACorruptLog) {
  OpenWriter();
  Submit(Start("c1"));
  writer_.reset();
  OpenLog();
  {
    auto raw = log_->OpenWriter("0");
    ASSERT_THAT(raw, IsOk());
    std::vector<AppendRecord> garbage = {{0, "patient/9990000018", "not a signed event"}};
    ASSERT_THAT((*raw)->Append(garbage), IsOk());
  }
  OpenLog();
  WriterOptions options;
  options.key_id = signer_.key_id;
  options.signing_key = signer_.key;
  auto writer = Writer::Open(log_.get(), std::move(options));
  EXPECT_THAT(writer, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(writer.status().message().find("partition 0 offset"), absl::string_view::npos)
      << writer.status();
}

}  // namespace
}  // namespace careledger::ledger
