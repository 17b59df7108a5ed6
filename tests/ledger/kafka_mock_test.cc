// Proves how the Kafka writer (ledger/internal/kafka_writer.h) and reader
// behave when the cluster misbehaves, using librdkafka's in-process mock
// cluster and its fault injection: Append always returns within its time
// bounds with the documented status, and the writer recovers (or demands to
// be reopened) as documented. The mock writes no transaction markers and so
// cannot show what read_committed hides; kafka_log_test.cc proves that
// against a real broker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "ledger/internal/kafka_client.h"
#include "ledger/internal/kafka_reader.h"
#include "ledger/internal/kafka_writer.h"
#include "tests/support/test_support.h"

namespace careledger::ledger::internal {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using ::careledger::testing::UniqueName;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Kafka protocol request types (ApiKey) the tests inject errors into.
constexpr std::int16_t kProduceRequest = 0;
constexpr std::int16_t kAddPartitionsToTxnRequest = 24;
constexpr std::int16_t kEndTxnRequest = 26;
constexpr std::int32_t kBroker = 1;
constexpr std::int32_t kPartitions = 2;

class KafkaMockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A client configured with test.mock.num.brokers owns a mock cluster.
    KafkaConf conf(rd_kafka_conf_new());
    std::array<char, 256> error_text{};
    ASSERT_EQ(rd_kafka_conf_set(conf.get(), "test.mock.num.brokers", "1", error_text.data(),
                                error_text.size()),
              RD_KAFKA_CONF_OK);
    // Quiet: it would only announce that it is a mock.
    ASSERT_EQ(rd_kafka_conf_set(conf.get(), "log_level", "4", error_text.data(), error_text.size()),
              RD_KAFKA_CONF_OK);
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error_text.data(), error_text.size()));
    ASSERT_NE(owner_, nullptr) << error_text.data();
    (void)conf.release();  // owned by owner_ now
    cluster_ = rd_kafka_handle_mock_cluster(owner_.get());
    ASSERT_NE(cluster_, nullptr);
    options_.bootstrap_servers = rd_kafka_mock_cluster_bootstraps(cluster_);
    options_.topic = UniqueName("careledger-mock");
    options_.transactional_id_prefix = UniqueName("careledger-mock-writer") + "-";
    options_.timeout = std::chrono::seconds(2);
    // librdkafka backs off reconnecting up to 10 s by default; keep the
    // broker-down test short.
    options_.extra_config["reconnect.backoff.max.ms"] = "200";
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, options_.topic.c_str(), kPartitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  std::unique_ptr<KafkaWriter> OpenWriter(const std::string& writer_id = "shard-0") {
    auto writer = KafkaWriter::Open(options_, kPartitions, writer_id);
    EXPECT_THAT(writer, IsOk());
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  // The keys of every record in the topic (the mock shows aborted ones too).
  std::vector<std::string> KeysInTopic() {
    auto reader = KafkaReader::Open(options_, kPartitions);
    EXPECT_THAT(reader, IsOk());
    std::vector<std::string> keys;
    for (int attempt = 0; reader.ok() && attempt < 20; ++attempt) {
      auto batch = (*reader)->Read(1000, std::chrono::seconds(5));
      EXPECT_THAT(batch, IsOk());
      if (!batch.ok()) break;
      for (const auto& record : batch->records) keys.push_back(record.key);
      if (batch->caught_up) break;
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  void PushErrors(std::int16_t request, rd_kafka_resp_err_t error, std::size_t count) {
    std::vector<rd_kafka_resp_err_t> errors(count, error);
    rd_kafka_mock_push_request_errors_array(cluster_, request, errors.size(), errors.data());
  }

  static std::vector<AppendRecord> Records(const std::string& prefix) {
    return {{0, prefix + "/0", "v"}, {1, prefix + "/1", "v"}};
  }

  KafkaProducer owner_;                         // owns the mock cluster
  rd_kafka_mock_cluster_t* cluster_ = nullptr;  // lives as long as owner_
  KafkaLogOptions options_;
};

TEST_F(KafkaMockTest, AppendsAndReadsBackOnAHealthyCluster) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<LogPosition> positions, writer->Append(Records("a")));
  ASSERT_EQ(positions.size(), 2u);
  EXPECT_EQ(positions[0].partition, 0);
  EXPECT_EQ(positions[1].partition, 1);
  EXPECT_EQ(KeysInTopic(), (std::vector<std::string>{"a/0", "a/1"}));
}

TEST_F(KafkaMockTest, EmptyTopicIsCaughtUp) {
  auto reader = KafkaReader::Open(options_, kPartitions);
  ASSERT_THAT(reader, IsOk());
  CL_ASSERT_OK_AND_ASSIGN(ReadBatch batch, (*reader)->Read(10, std::chrono::seconds(10)));
  EXPECT_THAT(batch.records, IsEmpty());
  EXPECT_TRUE(batch.caught_up);
}

TEST_F(KafkaMockTest, TransientProduceErrorsAreRetriedWithoutDuplicates) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  PushErrors(kProduceRequest, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 3);
  EXPECT_THAT(writer->Append(Records("a")), IsOk());
  EXPECT_EQ(KeysInTopic(), (std::vector<std::string>{"a/0", "a/1"}));
}

TEST_F(KafkaMockTest, PersistentProduceErrorsFailUnavailableAndTheWriterCarriesOn) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  PushErrors(kProduceRequest, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 1000);
  EXPECT_THAT(writer->Append(Records("lost")), StatusIs(absl::StatusCode::kUnavailable));

  rd_kafka_mock_clear_request_errors(cluster_, kProduceRequest);
  EXPECT_THAT(writer->Append(Records("kept")), IsOk());
  const std::vector<std::string> keys = KeysInTopic();
  EXPECT_THAT(keys, ::testing::IsSupersetOf({"kept/0", "kept/1"}));
  EXPECT_THAT(keys, ::testing::Not(::testing::Contains(HasSubstr("lost"))));
}

TEST_F(KafkaMockTest, TransientCommitErrorsAreRetried) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  PushErrors(kEndTxnRequest, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, 2);
  EXPECT_THAT(writer->Append(Records("a")), IsOk());
}

TEST_F(KafkaMockTest, UnconfirmedCommitIsDeadlineExceededAndTheWriterMustBeReopened) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  PushErrors(kEndTxnRequest, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, 1000);
  EXPECT_THAT(writer->Append(Records("unknown")), StatusIs(absl::StatusCode::kDeadlineExceeded));

  // Even with the cluster healthy again, this writer refuses: its last
  // transaction may still commit, so appending on stale state could fork.
  rd_kafka_mock_clear_request_errors(cluster_, kEndTxnRequest);
  auto refused = writer->Append(Records("refused"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("reopen"));

  auto reopened = OpenWriter();
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(reopened->Append(Records("after")), IsOk());
}

TEST_F(KafkaMockTest, BrokerDownFailsAppendInTimeAndTheWriterRecoversWhenItReturns) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_THAT(writer->Append(Records("before")), IsOk());

  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_, kBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_THAT(writer->Append(Records("down")), StatusIs(absl::StatusCode::kUnavailable));

  // Once the broker is back (and librdkafka has reconnected), appends work
  // again on the same writer; until then they keep failing UNAVAILABLE.
  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_, kBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  absl::StatusOr<std::vector<LogPosition>> after;
  for (int attempt = 0; attempt < 3; ++attempt) {
    after = writer->Append(Records("after"));
    if (after.ok()) break;
    EXPECT_THAT(after, StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_THAT(after, IsOk());
  EXPECT_THAT(KeysInTopic(),
              ::testing::IsSupersetOf({"before/0", "before/1", "after/0", "after/1"}));
}

// A reader that must reach the end of a partition whose leader is gone (on a
// real cluster: two of three brokers killed, no quorum to elect another)
// would wait forever; after `timeout` of silence it is UNAVAILABLE instead.
TEST_F(KafkaMockTest, ReadingWhileTheLeaderIsDownIsUnavailableAfterTheTimeout) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  ASSERT_THAT(writer->Append(Records("a")), IsOk());
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_, kBroker), RD_KAFKA_RESP_ERR_NO_ERROR);

  auto reader = KafkaReader::Open(options_, kPartitions);
  ASSERT_THAT(reader, IsOk());
  absl::StatusOr<ReadBatch> batch;
  // Reads of up to 1 s each; the timeout is 2 s of them, so the bound of 60
  // leaves room for a slow machine and is never reached by a working reader.
  for (int attempt = 0; attempt < 60; ++attempt) {
    batch = (*reader)->Read(1000, std::chrono::seconds(1));
    if (!batch.ok() || batch->caught_up) break;
  }
  EXPECT_THAT(batch, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(batch.status().message()), HasSubstr("no record, no end"));
}

TEST_F(KafkaMockTest, FencingReportedByTheCoordinatorIsPermanent) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  PushErrors(kAddPartitionsToTxnRequest, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, 1);
  auto fenced = writer->Append(Records("a"));
  EXPECT_THAT(fenced, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(std::string(fenced.status().message()), HasSubstr("fenced"));

  auto again = writer->Append(Records("b"));
  EXPECT_EQ(again.status(), fenced.status());
  EXPECT_THAT(KeysInTopic(), ::testing::Not(::testing::Contains(HasSubstr("b/"))));
}

TEST_F(KafkaMockTest, OpenWriterIsUnavailableWhenTheCoordinatorIsDown) {
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_, kBroker), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_THAT(KafkaWriter::Open(options_, kPartitions, "shard-0"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(KafkaMockTest, AppendOutsideThePartitionsIsInvalidArgument) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  EXPECT_THAT(writer->Append(std::vector<AppendRecord>{{kPartitions, "k", "v"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KeysInTopic(), IsEmpty());
}

TEST_F(KafkaMockTest, RecordLargerThanKafkaAcceptsIsInvalidArgument) {
  auto writer = OpenWriter();
  ASSERT_NE(writer, nullptr);
  std::vector<AppendRecord> records = Records("big");
  records[1].value.assign(2 * 1024 * 1024, 'x');  // message.max.bytes is 1 MB
  EXPECT_THAT(writer->Append(records), StatusIs(absl::StatusCode::kInvalidArgument));
  // The transaction was aborted and the writer carries on.
  EXPECT_THAT(writer->Append(Records("small")), IsOk());
}

}  // namespace
}  // namespace careledger::ledger::internal
