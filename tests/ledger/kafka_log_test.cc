// Proves the Kafka backend of the Log against a real broker
// (CARELEDGER_KAFKA_BOOTSTRAP): topic creation and the refusal of topics that
// would lose events, the append/read round trip, transactional atomicity,
// caught_up, Seek, fencing and argument checks. Every test uses a topic of
// its own.
#include "ledger/kafka_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ledger/clock.h"
#include "ledger/internal/kafka_admin.h"
#include "ledger/internal/kafka_client.h"
#include "ledger/partitioner.h"
#include "ledger/writer.h"
#include "tests/support/test_support.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::KafkaBootstrapOrFail;
using ::careledger::testing::StatusIs;
using ::careledger::testing::UniqueName;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

KafkaLogOptions OptionsFor(const std::string& bootstrap, const std::string& topic,
                           std::int32_t partitions = 3) {
  KafkaLogOptions options;
  options.bootstrap_servers = bootstrap;
  options.topic = topic;
  options.partitions = partitions;
  options.transactional_id_prefix = UniqueName("careledger-test-writer") + "-";
  return options;
}

std::unique_ptr<internal::KafkaAdmin> AdminFor(const std::string& bootstrap) {
  KafkaLogOptions options;
  options.bootstrap_servers = bootstrap;
  auto admin = internal::KafkaAdmin::Create(options);
  EXPECT_THAT(admin, IsOk());
  return admin.ok() ? *std::move(admin) : nullptr;
}

// Each partition's high watermark: the offset after the last thing written to
// it, committed, aborted or transaction marker. Zero means never written.
// Retries while a new topic's partitions are still getting their leader.
std::vector<std::int64_t> HighWatermarks(const std::string& bootstrap, const std::string& topic,
                                         std::int32_t partitions) {
  KafkaLogOptions options;
  options.bootstrap_servers = bootstrap;
  auto conf = internal::NewKafkaConf(options, {});
  EXPECT_THAT(conf, IsOk());
  auto client = internal::NewKafkaProducer(*std::move(conf));
  EXPECT_THAT(client, IsOk());
  std::vector<std::int64_t> highs;
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = -1;
    std::int64_t high = -1;
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < 100; ++attempt) {
      error =
          rd_kafka_query_watermark_offsets(client->get(), topic.c_str(), p, &low, &high, 30'000);
      if (error != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
          error != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(error);
    highs.push_back(high);
  }
  return highs;
}

// Reads until caught up (failing the test if that takes more than a few
// dozen Reads with records or waits).
std::vector<events::LogRecord> ReadToEnd(LogReader& reader) {
  std::vector<events::LogRecord> records;
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto batch = reader.Read(1000, std::chrono::seconds(5));
    EXPECT_THAT(batch, IsOk());
    if (!batch.ok()) break;
    records.insert(records.end(), batch->records.begin(), batch->records.end());
    if (batch->caught_up) return records;
  }
  ADD_FAILURE() << "the reader never caught up";
  return records;
}

// A transactional producer of the test's own, outside any careledger writer,
// with one transaction open from Begin until Commit or Abort.
class RawTransaction {
 public:
  RawTransaction(const std::string& bootstrap, const std::string& topic) : topic_(topic) {
    KafkaLogOptions options = OptionsFor(bootstrap, topic);
    auto conf = internal::NewKafkaConf(options, {{"transactional.id", UniqueName("raw-txn")}});
    EXPECT_THAT(conf, IsOk());
    if (!conf.ok()) return;
    auto producer = internal::NewKafkaProducer(*std::move(conf));
    EXPECT_THAT(producer, IsOk());
    if (producer.ok()) producer_ = *std::move(producer);
  }

  // Initialises the transactions and begins one; false (with the failure
  // recorded) on error.
  bool Begin() {
    if (producer_ == nullptr) return false;
    return Succeeded(rd_kafka_init_transactions(producer_.get(), 30'000)) &&
           Succeeded(rd_kafka_begin_transaction(producer_.get()));
  }

  // Writes records "<prefix>/<i>" to `partition` and waits until the broker
  // holds them (still uncommitted).
  bool Produce(std::int32_t partition, const std::string& prefix, int count) {
    internal::KafkaTopic raw_topic(rd_kafka_topic_new(producer_.get(), topic_.c_str(), nullptr));
    for (int i = 0; i < count; ++i) {
      std::string key = prefix + "/" + std::to_string(i);
      std::string value = "written by a raw transaction";
      if (rd_kafka_produce(raw_topic.get(), partition, RD_KAFKA_MSG_F_COPY, value.data(),
                           value.size(), key.data(), key.size(), nullptr) != 0) {
        ADD_FAILURE() << "produce failed: " << rd_kafka_err2str(rd_kafka_last_error());
        return false;
      }
    }
    return rd_kafka_flush(producer_.get(), 30'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  bool Commit() { return Succeeded(rd_kafka_commit_transaction(producer_.get(), 30'000)); }
  bool Abort() { return Succeeded(rd_kafka_abort_transaction(producer_.get(), 30'000)); }

 private:
  static bool Succeeded(rd_kafka_error_t* raw_error) {
    internal::KafkaError error(raw_error);
    EXPECT_EQ(error, nullptr) << rd_kafka_error_string(error.get());
    return error == nullptr;
  }

  std::string topic_;
  internal::KafkaProducer producer_;
};

// Records for `count` streams named "<prefix>/<i>", each placed by the
// partitioner, with distinct values.
std::vector<AppendRecord> RecordsFor(const std::string& prefix, int count,
                                     std::int32_t partitions) {
  std::vector<AppendRecord> records;
  for (int i = 0; i < count; ++i) {
    std::string key = prefix + "/" + std::to_string(i);
    std::int32_t partition = PartitionForKey(key, partitions);
    records.push_back({partition, key, "value of " + key + std::string(1, '\0') + "binary"});
  }
  return records;
}

std::vector<std::string> KeysOf(const std::vector<events::LogRecord>& records) {
  std::vector<std::string> keys;
  for (const auto& record : records) keys.push_back(record.key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> KeysOf(const std::vector<AppendRecord>& records) {
  std::vector<std::string> keys;
  for (const auto& record : records) keys.push_back(record.key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

void CreateTopicWith(const std::string& bootstrap, const std::string& topic,
                     std::map<std::string, std::string> configs) {
  auto admin = AdminFor(bootstrap);
  ASSERT_NE(admin, nullptr);
  ASSERT_THAT(
      admin->CreateTopic(
          {.name = topic, .partitions = 2, .replication_factor = 1, .configs = std::move(configs)}),
      IsOk());
}

// Opening a log on an existing topic with `configs` fails FAILED_PRECONDITION
// with a message containing `expected`, leaves the topic's settings as they
// were, and writes nothing.
void ExpectRefused(std::map<std::string, std::string> configs, const std::string& expected) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-refused");
  CreateTopicWith(bootstrap, topic, configs);

  auto log = OpenKafkaLog(OptionsFor(bootstrap, topic));
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(log.status().message()), HasSubstr(expected));
  EXPECT_THAT(std::string(log.status().message()), HasSubstr(topic));

  auto described = AdminFor(bootstrap)->DescribeTopicConfig(topic);
  ASSERT_THAT(described, IsOk());
  for (const auto& [name, value] : configs) EXPECT_EQ(described->at(name), value) << name;
  EXPECT_EQ(HighWatermarks(bootstrap, topic, 2), (std::vector<std::int64_t>{0, 0}));
}

TEST(KafkaLogTest, OpenCreatesTopicThatKeepsEveryEvent) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-created");
  KafkaLogOptions options = OptionsFor(bootstrap, topic, 3);
  options.min_insync_replicas = 1;

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(options));
  EXPECT_EQ(log->partition_count(), 3);
  EXPECT_EQ(log->Describe(), "kafka:" + bootstrap + "/" + topic);

  auto config = AdminFor(bootstrap)->DescribeTopicConfig(topic);
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->at("cleanup.policy"), "delete");
  EXPECT_EQ(config->at("retention.ms"), "-1");
  EXPECT_EQ(config->at("retention.bytes"), "-1");
  EXPECT_EQ(config->at("min.insync.replicas"), "1");

  // Opening again finds the topic instead of creating it.
  EXPECT_THAT(OpenKafkaLog(options), IsOk());
}

TEST(KafkaLogTest, OpenUsesTheExistingTopicsPartitionCount) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-existing");
  auto admin = AdminFor(bootstrap);
  ASSERT_NE(admin, nullptr);
  ASSERT_THAT(admin->CreateTopic({.name = topic,
                                  .partitions = 5,
                                  .replication_factor = 1,
                                  .configs = {{"retention.ms", "-1"},
                                              {"retention.bytes", "-1"},
                                              {"cleanup.policy", "delete"}}}),
              IsOk());

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));
  EXPECT_EQ(log->partition_count(), 5);
}

TEST(KafkaLogTest, ConcurrentOpensOfANewTopicAllSucceed) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-race");
  // Every opener finds the topic missing and tries to create it; all but one
  // lose the race with TOPIC_ALREADY_EXISTS, which is not an error.
  std::vector<absl::StatusOr<std::unique_ptr<Log>>> logs(4);
  std::vector<std::thread> openers;
  for (auto& log : logs) {
    openers.emplace_back(
        [&log, &bootstrap, &topic] { log = OpenKafkaLog(OptionsFor(bootstrap, topic, 3)); });
  }
  for (auto& opener : openers) opener.join();
  for (const auto& log : logs) {
    ASSERT_THAT(log, IsOk());
    EXPECT_EQ((*log)->partition_count(), 3);
  }
}

TEST(KafkaLogTest, OpenFailsWhenTheClusterCannotHostTheReplicationFactor) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  KafkaLogOptions options = OptionsFor(bootstrap, UniqueName("careledger-test-replicas"));
  options.replication_factor = 3;  // the test broker is a single node
  auto log = OpenKafkaLog(options);
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(log.status().message()), HasSubstr("replication factor"));
}

TEST(KafkaLogTest, OpenRefusesTopicWithFiniteRetentionTime) {
  ExpectRefused({{"retention.ms", "604800000"}},
                "has retention.ms=604800000: careledger refuses to write to a topic that expires "
                "events; set retention.ms=-1");
}

TEST(KafkaLogTest, OpenRefusesTopicWithFiniteRetentionSize) {
  ExpectRefused({{"retention.ms", "-1"}, {"retention.bytes", "1073741824"}},
                "retention.bytes=1073741824");
}

TEST(KafkaLogTest, OpenRefusesCompactedTopic) {
  ExpectRefused({{"retention.ms", "-1"}, {"cleanup.policy", "compact"}}, "cleanup.policy=compact");
}

TEST(KafkaLogTest, OpenRefusesTopicThatIsCompactedAndDeleted) {
  ExpectRefused({{"retention.ms", "-1"}, {"cleanup.policy", "compact,delete"}},
                "cleanup.policy=compact,delete");
}

TEST(KafkaLogTest, OpenIsUnavailableWhenNoBrokerAnswers) {
  // Needs no broker: nothing listens on port 1.
  KafkaLogOptions options = OptionsFor("127.0.0.1:1", UniqueName("careledger-test-unreachable"));
  options.timeout = std::chrono::seconds(3);
  EXPECT_THAT(OpenKafkaLog(options), StatusIs(absl::StatusCode::kUnavailable));
}

// How many of this process's librdkafka main threads ("rdk:main") run at
// `nice`.
int MainThreadsAtNice(int nice) {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "rdk:main") continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat;
    std::getline(stat_file, stat);
    // Fields after the command's closing parenthesis start at field 3; the
    // nice value is field 19.
    std::istringstream fields(stat.substr(stat.rfind(')') + 1));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19 && std::stoi(field) == nice) ++count;
    }
  }
  return count;
}

TEST(KafkaLogTest, TheWritersMainThreadRunsAtALowerPriority) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-nice");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 1)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  const int lowered_before = MainThreadsAtNice(internal::kBusyWaitingMainThreadNice);
  const int normal_before = MainThreadsAtNice(0);
  ASSERT_GE(normal_before, 1) << "a reader's client runs at the normal priority";
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  EXPECT_EQ(MainThreadsAtNice(internal::kBusyWaitingMainThreadNice), lowered_before + 2)
      << "each of the writer's two transactional producers' main threads busy-waits before "
         "each transaction's partitions are registered: they run lowered";
  EXPECT_EQ(MainThreadsAtNice(0), normal_before) << "no other client is lowered";
  for (int turn = 0; turn < 2; ++turn) {
    CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> appended,
                            writer->Append(RecordsFor("patient/nice", 3, 1)));
    EXPECT_EQ(appended.size(), 3u) << "the lowered threads still run the transactions";
  }
}

TEST(KafkaLogTest, AppendThenReadRoundTripsAcrossPartitions) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-roundtrip");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 3)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  EXPECT_EQ(writer->partition_count(), 3);

  std::vector<AppendRecord> written;
  std::vector<LogPosition> positions;
  for (int round = 0; round < 3; ++round) {
    auto records = RecordsFor("patient/round" + std::to_string(round), 20, 3);
    CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> appended, writer->Append(records));
    ASSERT_EQ(appended.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(appended[i].partition, records[i].partition);
    }
    written.insert(written.end(), records.begin(), records.end());
    positions.insert(positions.end(), appended.begin(), appended.end());
  }
  std::set<std::int32_t> partitions_used;
  for (const auto& record : written) partitions_used.insert(record.partition);
  ASSERT_EQ(partitions_used.size(), 3u) << "the test's keys should cover every partition";

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  EXPECT_EQ(reader->partition_count(), 3);
  std::vector<events::LogRecord> read = ReadToEnd(*reader);
  ASSERT_EQ(read.size(), written.size());

  // Every record comes back at the position Append reported, with its key
  // and value byte for byte.
  std::map<std::pair<std::int32_t, std::int64_t>, const events::LogRecord*> by_position;
  for (const auto& record : read) by_position[{record.partition, record.offset}] = &record;
  for (std::size_t i = 0; i < written.size(); ++i) {
    auto found = by_position.find({positions[i].partition, positions[i].offset});
    ASSERT_NE(found, by_position.end()) << written[i].key;
    EXPECT_EQ(found->second->key, written[i].key);
    EXPECT_EQ(found->second->value, written[i].value);
  }
  // Offsets increase within each partition, in read order and append order.
  std::map<std::int32_t, std::int64_t> last_offset;
  for (const auto& record : read) {
    if (last_offset.contains(record.partition)) {
      EXPECT_GT(record.offset, last_offset[record.partition]);
    }
    last_offset[record.partition] = record.offset;
    EXPECT_EQ(record.partition, PartitionForKey(record.key, 3));
  }
  last_offset.clear();
  for (const auto& position : positions) {
    if (last_offset.contains(position.partition)) {
      EXPECT_GT(position.offset, last_offset[position.partition]);
    }
    last_offset[position.partition] = position.offset;
  }
}

TEST(KafkaLogTest, APatientReaderReadsWhatAPromptOneReads) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-patient");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 3)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  for (int round = 0; round < 3; ++round) {
    ASSERT_THAT(writer->Append(RecordsFor("patient/paced" + std::to_string(round), 20, 3)), IsOk());
  }
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> prompt, log->OpenReader());
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> patient, log->OpenPatientReader());
  const std::vector<events::LogRecord> promptly = ReadToEnd(*prompt);
  const std::vector<events::LogRecord> patiently = ReadToEnd(*patient);
  ASSERT_EQ(promptly.size(), 60u);
  ASSERT_EQ(patiently.size(), promptly.size()) << "the patient reader reached the end too";
  std::map<std::int32_t, std::vector<std::pair<std::int64_t, std::string>>> prompt_by_partition;
  std::map<std::int32_t, std::vector<std::pair<std::int64_t, std::string>>> patient_by_partition;
  for (const auto& r : promptly) prompt_by_partition[r.partition].emplace_back(r.offset, r.value);
  for (const auto& r : patiently) patient_by_partition[r.partition].emplace_back(r.offset, r.value);
  EXPECT_EQ(patient_by_partition, prompt_by_partition) << "same records, same order";
  // A record appended later still reaches it (within its fetch wait).
  ASSERT_THAT(writer->Append(RecordsFor("patient/later", 1, 3)), IsOk());
  EXPECT_EQ(ReadToEnd(*patient).size(), 1u);
}

TEST(KafkaLogTest, LargeAppendIsReadBackInOrderInBoundedBatches) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-large");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 3)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  const std::vector<AppendRecord> records = RecordsFor("patient/large", 3000, 3);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> positions, writer->Append(records));
  ASSERT_EQ(positions.size(), records.size());

  // Per partition, the order of Append is the order of offsets and of reads.
  std::map<std::int32_t, std::vector<std::string>> appended_keys;
  for (const auto& record : records) appended_keys[record.partition].push_back(record.key);
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  std::map<std::int32_t, std::vector<std::string>> read_keys;
  std::size_t total = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    CL_ASSERT_OK_AND_ASSIGN(ReadBatch batch, reader->Read(500, std::chrono::seconds(5)));
    EXPECT_LE(batch.records.size(), 500u);
    for (const auto& record : batch.records) read_keys[record.partition].push_back(record.key);
    total += batch.records.size();
    if (batch.caught_up) break;
  }
  EXPECT_EQ(total, records.size());
  EXPECT_EQ(read_keys, appended_keys);
}

TEST(KafkaLogTest, AbortedTransactionIsInvisibleToReaders) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-aborted");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));

  // A transactional producer of the test's own writes three records to
  // partition 0 and aborts.
  {
    RawTransaction aborted(bootstrap, topic);
    ASSERT_TRUE(aborted.Begin());
    ASSERT_TRUE(aborted.Produce(0, "aborted", 3));
    ASSERT_TRUE(aborted.Abort());
  }
  // The aborted records and the abort marker are in the partition. The
  // coordinator writes markers after abort_transaction returns, so wait for
  // them (at most 20 s); the assertion itself is unchanged.
  std::int64_t high = 0;
  for (int attempt = 0; attempt < 100 && high < 4; ++attempt) {
    high = HighWatermarks(bootstrap, topic, 2)[0];
    if (high < 4) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_GE(high, 4);

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  std::vector<AppendRecord> after = {
      {0, "after/0", "visible"}, {0, "after/1", "visible"}, {1, "after/2", "visible"}};
  CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> positions, writer->Append(after));
  EXPECT_GE(positions[0].offset, 4);

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  std::vector<events::LogRecord> read = ReadToEnd(*reader);
  EXPECT_EQ(KeysOf(read), KeysOf(after));
}

// Kafka acknowledges a commit before its markers land, so a partition can
// report its end at a last stable offset below records already acknowledged.
// Such an end is not final: the reader waits for it to move (here the grace
// is long, so only the commit can end the wait).
TEST(KafkaLogTest, EndBelowTheHighWatermarkIsNotCaughtUpWithinTheGrace) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-unsettled");
  KafkaLogOptions options = OptionsFor(bootstrap, topic, 2);
  options.unsettled_end_grace = std::chrono::seconds(60);
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(options));

  RawTransaction in_flight(bootstrap, topic);
  ASSERT_TRUE(in_flight.Begin());
  ASSERT_TRUE(in_flight.Produce(1, "in-flight", 2));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  // Partition 0 is empty (a final end); partition 1 ends at offset 0, below
  // its high watermark of 2.
  CL_ASSERT_OK_AND_ASSIGN(ReadBatch before, reader->Read(100, std::chrono::milliseconds(1500)));
  EXPECT_THAT(before.records, IsEmpty());
  EXPECT_FALSE(before.caught_up);

  ASSERT_TRUE(in_flight.Commit());
  std::vector<events::LogRecord> after = ReadToEnd(*reader);
  EXPECT_EQ(KeysOf(after), (std::vector<std::string>{"in-flight/0", "in-flight/1"}));
}

// An open transaction is not committed data: once its end has stayed put for
// the grace, the reader is caught up without it, and reads it once committed.
TEST(KafkaLogTest, OpenTransactionHoldsCaughtUpOnlyForTheGrace) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-open-txn");
  KafkaLogOptions options = OptionsFor(bootstrap, topic, 2);
  options.unsettled_end_grace = std::chrono::milliseconds(300);
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(options));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  const std::vector<AppendRecord> committed = {{0, "committed/0", "v"}, {0, "committed/1", "v"}};
  ASSERT_THAT(writer->Append(committed), IsOk());

  RawTransaction open(bootstrap, topic);
  ASSERT_TRUE(open.Begin());
  ASSERT_TRUE(open.Produce(1, "open", 2));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  EXPECT_EQ(KeysOf(ReadToEnd(*reader)), KeysOf(committed));

  ASSERT_TRUE(open.Commit());
  EXPECT_EQ(KeysOf(ReadToEnd(*reader)), (std::vector<std::string>{"open/0", "open/1"}));
}

TEST(KafkaLogTest, EmptyTopicIsCaughtUpWithoutWaitingForRecords) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-empty");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 3)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());

  // A generous wait: a reader that waited for records instead of noticing it
  // is at the end would still pass, just slowly, so this asserts the result.
  CL_ASSERT_OK_AND_ASSIGN(ReadBatch batch, reader->Read(100, std::chrono::seconds(30)));
  EXPECT_THAT(batch.records, IsEmpty());
  EXPECT_TRUE(batch.caught_up);
}

TEST(KafkaLogTest, CaughtUpOnlyAfterReadingToTheEnd) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-caughtup");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  std::vector<AppendRecord> first;
  for (int i = 0; i < 10; ++i) first.push_back({0, "stream/" + std::to_string(i), "v"});
  ASSERT_THAT(writer->Append(first), IsOk());

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  // Partition 0 holds 10 records: after at most 3 of them it is not at its end.
  CL_ASSERT_OK_AND_ASSIGN(ReadBatch partial, reader->Read(3, std::chrono::seconds(30)));
  EXPECT_FALSE(partial.records.empty());
  EXPECT_LE(partial.records.size(), 3u);
  EXPECT_FALSE(partial.caught_up);

  std::vector<events::LogRecord> rest = ReadToEnd(*reader);
  EXPECT_EQ(partial.records.size() + rest.size(), 10u);

  // Once caught up, a Read with nothing new stays caught up.
  CL_ASSERT_OK_AND_ASSIGN(ReadBatch idle, reader->Read(100, std::chrono::milliseconds(200)));
  EXPECT_THAT(idle.records, IsEmpty());
  EXPECT_TRUE(idle.caught_up);

  // New records are read, and the reader is caught up again after them.
  ASSERT_THAT(writer->Append(std::vector<AppendRecord>{{1, "stream/late", "v"}}), IsOk());
  std::vector<events::LogRecord> late = ReadToEnd(*reader);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].key, "stream/late");
}

TEST(KafkaLogTest, SeekResumesAtTheGivenOffsets) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-seek");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  std::vector<LogPosition> positions;
  for (int i = 0; i < 6; ++i) {  // one transaction each: offsets are not contiguous
    CL_ASSERT_OK_AND_ASSIGN(
        std::vector<LogPosition> appended,
        writer->Append(std::vector<AppendRecord>{{0, "p0/" + std::to_string(i), "v"},
                                                 {1, "p1/" + std::to_string(i), "v"}}));
    positions.insert(positions.end(), appended.begin(), appended.end());
  }
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());

  // From the 4th record of partition 0 and the 2nd of partition 1.
  const std::vector<std::int64_t> from = {positions[2 * 3].offset, positions[2 * 1 + 1].offset};
  ASSERT_THAT(reader->Seek(from), IsOk());
  std::vector<events::LogRecord> read = ReadToEnd(*reader);
  EXPECT_EQ(KeysOf(read), (std::vector<std::string>{"p0/3", "p0/4", "p0/5", "p1/1", "p1/2", "p1/3",
                                                    "p1/4", "p1/5"}));
  for (const auto& record : read) {
    EXPECT_GE(record.offset, from[static_cast<std::size_t>(record.partition)]);
  }

  // Seeking back to the start reads everything again; to the end, nothing.
  ASSERT_THAT(reader->Seek(std::vector<std::int64_t>{0, 0}), IsOk());
  EXPECT_EQ(ReadToEnd(*reader).size(), 12u);
  const std::int64_t end0 = positions[2 * 5].offset + 2;  // past the last commit marker
  ASSERT_THAT(reader->Seek(std::vector<std::int64_t>{end0, positions[2 * 5 + 1].offset}), IsOk());
  std::vector<events::LogRecord> tail = ReadToEnd(*reader);
  EXPECT_EQ(KeysOf(tail), (std::vector<std::string>{"p1/5"}));

  // Past the end is a reader that consumed records the log no longer has.
  const absl::Status past_end = reader->Seek(std::vector<std::int64_t>{1000, 0});
  EXPECT_THAT(past_end, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(past_end.message()), HasSubstr("partition 0"));

  EXPECT_THAT(reader->Seek(std::vector<std::int64_t>{0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->Seek(std::vector<std::int64_t>{0, -1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Seeks in quick succession, with and without a Read between them, each
// followed by a read of what is there. librdkafka 2.0 aborted the process
// when a reader re-assigned its partitions while the stops of the previous
// re-assignment were still in flight (librdkafka issue #5573): this ran into
// it within a few dozen seeks. (Each Read to the end here waits out the
// fetch the broker holds, fetch.wait.max.ms.)
TEST(KafkaLogTest, RapidSeeksEachReadFromTheirOwnOffsets) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-rapid-seek");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));
  std::vector<AppendRecord> records;
  for (int i = 0; i < 20; ++i) records.push_back({i % 2, "k/" + std::to_string(i), "v"});
  CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> positions, writer->Append(records));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  for (int round = 0; round < 60; ++round) {
    const std::size_t pick = static_cast<std::size_t>((round * 7) % 20);
    const std::int32_t partition = positions[pick].partition;
    std::vector<std::int64_t> from(2, 0);
    from[static_cast<std::size_t>(partition)] = positions[pick].offset;
    // Two seeks straight after each other, the first to somewhere else.
    ASSERT_THAT(reader->Seek(std::vector<std::int64_t>(2, 0)), IsOk());
    ASSERT_THAT(reader->Seek(from), IsOk());
    if (round % 3 == 0) continue;  // and sometimes a third before any Read
    std::vector<events::LogRecord> read = ReadToEnd(*reader);
    std::size_t expected = 0;
    for (std::size_t i = 0; i < positions.size(); ++i) {
      const auto p = static_cast<std::size_t>(positions[i].partition);
      if (positions[i].offset >= from[p]) ++expected;
    }
    ASSERT_EQ(read.size(), expected) << "round " << round;
    for (const auto& record : read) {
      ASSERT_GE(record.offset, from[static_cast<std::size_t>(record.partition)]) << round;
    }
  }
}

// A writer restarted on a Kafka log starts from its snapshot: the log's
// identity (its first genesis) is read before the snapshot is trusted, and a
// reader that has not fetched yet must wait for it, not take the log as empty.
TEST(KafkaLogTest, ARestartedWriterStartsFromItsSnapshot) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-snapshot");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic)));
  const careledger::testing::TestSigner signer = careledger::testing::MakeTestSigner();
  careledger::testing::WriteTestGenesis(*log, signer);
  careledger::testing::TempDir dir;
  ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  WriterOptions options;
  options.writer_id = UniqueName("careledger-test-snapshot-writer");
  options.key_id = signer.key_id;
  options.signing_key = signer.key;
  options.clock = &clock;
  options.snapshot_dir = dir.Sub("snapshots");
  {
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> writer, Writer::Open(log.get(), options));
    ASSERT_THAT(writer->Snapshot(), IsOk());
  }
  for (int restart = 0; restart < 3; ++restart) {
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> writer, Writer::Open(log.get(), options));
    EXPECT_TRUE(writer->recovery().from_snapshot) << writer->recovery().snapshot_rejected;
    EXPECT_THAT(writer->recovery().snapshot_rejected, IsEmpty());
  }
}

TEST(KafkaLogTest, SecondWriterWithTheSameIdFencesTheFirst) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-fenced");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> first, log->OpenWriter("shard-0"));
  ASSERT_THAT(first->Append(std::vector<AppendRecord>{{0, "before", "v"}}), IsOk());

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> second, log->OpenWriter("shard-0"));
  auto fenced =
      first->Append(std::vector<AppendRecord>{{0, "fenced/0", "v"}, {1, "fenced/1", "v"}});
  EXPECT_THAT(fenced, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(std::string(fenced.status().message()), HasSubstr("fenced"));

  ASSERT_THAT(second->Append(std::vector<AppendRecord>{{0, "second/0", "v"}, {1, "second/1", "v"}}),
              IsOk());
  // The fenced writer stays fenced.
  auto again = first->Append(std::vector<AppendRecord>{{1, "fenced/2", "v"}});
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("fenced"));

  // A writer appends through two producers in turn (the first's fenced
  // append above was its second producer's turn): a third writer fences the
  // second at its first producer's turn too.
  ASSERT_THAT(second->Append(std::vector<AppendRecord>{{0, "second/2", "v"}}), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> third, log->OpenWriter("shard-0"));
  auto fenced_first_turn = second->Append(std::vector<AppendRecord>{{1, "fenced/3", "v"}});
  EXPECT_THAT(fenced_first_turn, StatusIs(absl::StatusCode::kAborted));

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  EXPECT_EQ(KeysOf(ReadToEnd(*reader)),
            (std::vector<std::string>{"before", "second/0", "second/1", "second/2"}));
}

TEST(KafkaLogTest, LedgersOnDifferentTopicsNeverFenceEachOther) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  // Same prefix and writer id, different topics: two independent ledgers.
  KafkaLogOptions first_options = OptionsFor(bootstrap, UniqueName("careledger-test-ledger-a"), 1);
  KafkaLogOptions second_options = first_options;
  second_options.topic = UniqueName("careledger-test-ledger-b");
  EXPECT_NE(TransactionalId(first_options, "0"), TransactionalId(second_options, "0"));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> first_log, OpenKafkaLog(first_options));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> second_log, OpenKafkaLog(second_options));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> first, first_log->OpenWriter("0"));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> second, second_log->OpenWriter("0"));
  EXPECT_THAT(first->Append(std::vector<AppendRecord>{{0, "a", "v"}}), IsOk());
  EXPECT_THAT(second->Append(std::vector<AppendRecord>{{0, "b", "v"}}), IsOk());
  EXPECT_THAT(first->Append(std::vector<AppendRecord>{{0, "a", "w"}}), IsOk())
      << "opening a writer of another ledger must not fence this one";
}

TEST(KafkaLogTest, ReaderOpenOfAMissingTopicIsNotFoundAndCreatesNothing) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  KafkaLogOptions options = OptionsFor(bootstrap, UniqueName("careledger-test-missing"));
  options.create_topic = false;
  EXPECT_THAT(OpenKafkaLog(options), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(OpenKafkaLog(options), StatusIs(absl::StatusCode::kNotFound))
      << "the first attempt must not have created the topic";
}

TEST(KafkaLogTest, AppendNamingAPartitionOutsideTheLogWritesNothing) {
  const std::string bootstrap = KafkaBootstrapOrFail();
  if (bootstrap.empty()) return;  // the failure is recorded: no broker
  const std::string topic = UniqueName("careledger-test-badpartition");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenKafkaLog(OptionsFor(bootstrap, topic, 2)));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogWriter> writer, log->OpenWriter("shard-0"));

  EXPECT_THAT(writer->Append(std::vector<AppendRecord>{{0, "ok", "v"}, {2, "too-high", "v"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(writer->Append(std::vector<AppendRecord>{{-1, "negative", "v"}, {1, "ok", "v"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> none,
                          writer->Append(std::vector<AppendRecord>{}));
  EXPECT_THAT(none, IsEmpty());
  // Not even an aborted transaction: the partitions were never written.
  EXPECT_EQ(HighWatermarks(bootstrap, topic, 2), (std::vector<std::int64_t>{0, 0}));

  // The writer is still usable.
  ASSERT_THAT(writer->Append(std::vector<AppendRecord>{{1, "valid", "v"}}), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->OpenReader());
  EXPECT_EQ(KeysOf(ReadToEnd(*reader)), (std::vector<std::string>{"valid"}));
}

}  // namespace
}  // namespace careledger::ledger
