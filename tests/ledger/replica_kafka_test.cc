// Proves read replicas beside the writer on a real Kafka broker
// (CARELEDGER_KAFKA_BOOTSTRAP; fails without it): two ledger::Replica
// recorders record reads concurrently with commands and reads on the writer;
// the writer folds the replicas' records (Kafka's transaction markers leave
// gaps, so it reads the log before each checkpoint); afterwards the whole
// log verifies with every signature and checkpoint (`careledger verify`'s
// ScanLog), every read a replica answered has exactly one access record on
// that replica's stream, naming the exact version and content hash it
// answered, and a command sent to a replica appended nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

#include "events/envelope.h"
#include "ledger/dates.h"
#include "ledger/kafka_log.h"
#include "ledger/log_scan.h"
#include "ledger/replica.h"
#include "ledger/writer.h"
#include "tests/support/read_log.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::KafkaBootstrapOrFail;
using ::careledger::testing::UniqueName;

constexpr char kPatient[] = "9990000018";
constexpr int kReadsPerReplica = 30;
constexpr int kWriterCommands = 30;

TEST(ReplicaKafkaTest, ReplicasAndTheWriterShareTheLogAndEverythingVerifies) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  KafkaLogOptions log_options;
  log_options.bootstrap_servers = bootstrap;
  log_options.topic = UniqueName("careledger-test-replicas");
  log_options.partitions = 3;
  log_options.transactional_id_prefix = UniqueName("careledger-test-replica-writer") + "-";
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(log_options));
  const careledger::testing::TestSigner signer = careledger::testing::MakeTestSigner();
  careledger::testing::WriteTestGenesis(*log, signer);
  events::Keyring keyring = signer.keyring;
  std::vector<careledger::testing::TestSigner> nodes;
  for (const std::string node : {"r1", "r2"}) {
    nodes.push_back(careledger::testing::MakeTestSigner("node." + node));
    ASSERT_THAT(keyring.Add(events::KeyEntry{
                    "node." + node, *events::VerifyingKey::FromRaw(nodes.back().key.public_key()),
                    absl::InfinitePast()}),
                IsOk());
  }

  const absl::CivilDay today = Today(absl::Now());
  WriterOptions options;
  options.key_id = signer.key_id;
  options.signing_key = signer.key;
  options.checkpoint_every = 20;  // checkpoints while the replicas append
  options.checkpoint_interval = std::chrono::milliseconds(200);
  options.keyring = [&keyring]() -> absl::StatusOr<events::Keyring> { return keyring; };
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> writer, Writer::Open(log.get(), options));
  for (const auto& result : writer->SubmitAll(tools::SampleDirectoryCommands(today))) {
    ASSERT_THAT(result, IsOk());
  }
  careledger::v1::Command read;
  for (const tools::ScenarioStep& step : tools::CareHomeScenario(kPatient, today)) {
    if (step.command.has_view_plan()) {
      read = step.command;
      break;
    }
    auto result = writer->Submit(step.command);
    ASSERT_THAT(result, IsOk());
    ASSERT_EQ(result->outcome(), step.expected) << step.what << ": " << result->error();
  }
  ASSERT_TRUE(read.has_view_plan());

  std::vector<std::unique_ptr<Replica>> replicas;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    ReplicaOptions replica_options;
    replica_options.node = fmt::format("r{}", i + 1);
    replica_options.signing_key = nodes[i].key;
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Replica> replica,
                            Replica::Open(log.get(), std::move(replica_options)));
    replicas.push_back(std::move(replica));
  }

  // Reads on the replicas (granted ones and, every fifth, one of a patient
  // with no plan) while the writer takes commands and reads.
  std::vector<std::vector<careledger::v1::CommandResult>> answered(replicas.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kReadsPerReplica; ++n) {
        careledger::v1::Command command = read;
        command.set_command_id(fmt::format("replica-{}-read-{}", i + 1, n));
        if (n % 5 == 4) command.mutable_view_plan()->set_nhs_number("9990000026");
        auto result = replicas[i]->Submit(command);
        ASSERT_THAT(result, IsOk());
        answered[i].push_back(*result);
      }
    });
  }
  threads.emplace_back([&] {
    for (int n = 0; n < kWriterCommands; ++n) {
      careledger::v1::Command command = read;
      command.set_command_id(fmt::format("writer-read-{}", n));
      if (n % 2 == 1) {
        command = tools::NewCommandAs(tools::SampleWorldActors().gp);
        command.mutable_update_plan_section()->set_nhs_number(kPatient);
        command.mutable_update_plan_section()
            ->mutable_value()
            ->mutable_medical_background()
            ->set_main_diagnosis(fmt::format("diagnosis {}", n));
      }
      auto result = writer->Submit(command);
      ASSERT_THAT(result, IsOk());
      ASSERT_NE(result->outcome(), careledger::v1::OUTCOME_REJECTED) << result->error();
    }
  });
  for (std::thread& thread : threads) thread.join();

  // A command sent to a replica appends nothing. The writer's checkpoint
  // first: with unwitnessed records it appends one within its 200 ms
  // interval, which could otherwise land between the two reads below.
  ASSERT_THAT(writer->Checkpoint(), IsOk());
  const std::size_t records_before = careledger::testing::ReadAll(*log).size();
  careledger::v1::Command start = tools::NewCommandAs(tools::SampleWorldActors().care_home_admin);
  start.mutable_start_plan()->set_nhs_number("9990000026");
  EXPECT_FALSE(replicas[0]->Submit(start).ok());
  EXPECT_EQ(careledger::testing::ReadAll(*log).size(), records_before);

  ASSERT_THAT(writer->Checkpoint(), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  std::map<std::string, std::vector<events::OpenedRecord>> by_command;
  std::uint64_t prefix_checkpoints = 0;
  CL_ASSERT_OK_AND_ASSIGN(
      ScanReport report,
      ScanLog(*reader, &keyring, 2, [&](std::int32_t, const events::VerifiedRecord& record) {
        if (record.opened.event.has_checkpoint() &&
            record.opened.event.checkpoint().last_offset() < record.offset - 2) {
          ++prefix_checkpoints;  // something lay between the prefix and it
        }
        if (!record.opened.event.command_id().empty()) {
          by_command[record.opened.event.command_id()].push_back(record.opened);
        }
      }));
  ASSERT_TRUE(report.stops.empty()) << report.stops.front().Describe();
  EXPECT_GT(report.checkpoints, 3u);
  std::cout << "checkpoints " << report.checkpoints << ", of which covering a prefix with records "
            << "between it and the checkpoint: " << prefix_checkpoints << std::endl;

  for (std::size_t i = 0; i < replicas.size(); ++i) {
    ASSERT_EQ(answered[i].size(), static_cast<std::size_t>(kReadsPerReplica));
    for (int n = 0; n < kReadsPerReplica; ++n) {
      const careledger::v1::CommandResult& result = answered[i][n];
      const std::string id = fmt::format("replica-{}-read-{}", i + 1, n);
      ASSERT_EQ(by_command[id].size(), 1u) << id;
      const events::OpenedRecord& record = by_command[id].front();
      EXPECT_EQ(record.event.stream_id(), fmt::format("access/r{}", i + 1));
      EXPECT_EQ(record.signed_event.key_id(), fmt::format("node.r{}", i + 1));
      if (n % 5 == 4) {
        EXPECT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED);
        EXPECT_EQ(record.event.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
      } else {
        ASSERT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED) << result.error();
        EXPECT_EQ(record.event.access_recorded().version(), result.view().version());
        EXPECT_EQ(record.event.access_recorded().content_hash(), result.view().content_hash());
      }
    }
  }

  // The writer restarts over the shared log, and a replica over its stream.
  writer.reset();
  CL_ASSERT_OK_AND_ASSIGN(writer, Writer::Open(log.get(), options));
  ReplicaOptions again;
  again.node = "r1";
  again.signing_key = nodes[0].key;
  replicas[0].reset();
  CL_ASSERT_OK_AND_ASSIGN(replicas[0], Replica::Open(log.get(), std::move(again)));
  careledger::v1::Command last = read;
  last.set_command_id("replica-1-after-restart");
  auto after = replicas[0]->Submit(last);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->stream_seq(), static_cast<std::uint64_t>(kReadsPerReplica + 1));
  ASSERT_THAT(writer->Checkpoint(), IsOk());
}

}  // namespace
}  // namespace careledger::ledger
