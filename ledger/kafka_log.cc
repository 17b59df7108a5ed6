// OpenKafkaLog: connect, ensure the topic keeps every event, and hand out the
// writer (ledger/internal/kafka_writer.h) and readers
// (ledger/internal/kafka_reader.h).
#include "ledger/kafka_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>
#include <utility>

#include "events/format.h"
#include "ledger/embedded_log.h"
#include "ledger/internal/alternating_writer.h"
#include "ledger/internal/kafka_admin.h"
#include "ledger/internal/kafka_reader.h"
#include "ledger/internal/kafka_writer.h"

namespace careledger::ledger {
namespace {

using internal::KafkaAdmin;

class KafkaLog final : public Log {
 public:
  KafkaLog(KafkaLogOptions options, std::int32_t partition_count)
      : options_(std::move(options)), partition_count_(partition_count) {}

  std::int32_t partition_count() const override { return partition_count_; }

  std::string Describe() const override {
    return fmt::format("kafka:{}/{}", options_.bootstrap_servers, options_.topic);
  }

  // Two transactional producers, appended through in turn
  // (internal/alternating_writer.h): TransactionalId(writer_id) and
  // TransactionalId(writer_id + kAlternateSuffix). Opening both fences an
  // earlier writer with the same id on both and settles its transactions.
  absl::StatusOr<std::unique_ptr<LogWriter>> OpenWriter(std::string_view writer_id) override {
    auto first = internal::KafkaWriter::Open(options_, partition_count_, writer_id);
    if (!first.ok()) return first.status();
    auto second = internal::KafkaWriter::Open(options_, partition_count_,
                                              fmt::format("{}{}", writer_id, kAlternateSuffix));
    if (!second.ok()) return second.status();
    return std::unique_ptr<LogWriter>(
        std::make_unique<internal::AlternatingWriter>(*std::move(first), *std::move(second)));
  }

  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader() override {
    return Reader(internal::KafkaReader::Pacing::kPrompt);
  }

  absl::StatusOr<std::unique_ptr<LogReader>> OpenPatientReader() override {
    return Reader(internal::KafkaReader::Pacing::kBatched);
  }

 private:
  absl::StatusOr<std::unique_ptr<LogReader>> Reader(internal::KafkaReader::Pacing pacing) {
    auto reader = internal::KafkaReader::Open(options_, partition_count_, pacing);
    if (!reader.ok()) return reader.status();
    return std::unique_ptr<LogReader>(*std::move(reader));
  }

  const KafkaLogOptions options_;
  const std::int32_t partition_count_;
};

// FAILED_PRECONDITION unless the topic keeps every record forever: time- and
// size-based retention off, and no compaction (which drops all but the last
// record per key, i.e. all but the head of every stream).
absl::Status CheckTopicKeepsEvents(const std::string& topic,
                                   const std::map<std::string, std::string>& config) {
  auto refuse = [&](const std::string& setting, const std::string& value, const std::string& fix) {
    return absl::FailedPreconditionError(fmt::format(
        "topic {} has {}={}: careledger refuses to write to a topic that {}; set {}", topic,
        setting, value, setting == "cleanup.policy" ? "compacts events" : "expires events", fix));
  };
  for (const char* setting : {"retention.ms", "retention.bytes", "cleanup.policy"}) {
    if (!config.contains(setting)) {
      return absl::FailedPreconditionError(fmt::format(
          "topic {}: kafka did not report {}, so careledger cannot check that the topic keeps "
          "every event",
          topic, setting));
    }
  }
  if (const std::string& value = config.at("retention.ms"); value != "-1") {
    return refuse("retention.ms", value, "retention.ms=-1");
  }
  if (const std::string& value = config.at("retention.bytes"); value != "-1") {
    return refuse("retention.bytes", value, "retention.bytes=-1");
  }
  if (const std::string& value = config.at("cleanup.policy");
      value.find("compact") != std::string::npos) {
    return refuse("cleanup.policy", value, "cleanup.policy=delete");
  }
  return absl::OkStatus();
}

// Creates the topic (unless another process just did) and waits until the
// cluster's metadata shows it. Returns its partition count.
absl::StatusOr<std::int32_t> CreateTopic(KafkaAdmin& admin, const KafkaLogOptions& options) {
  internal::TopicSpec spec{
      .name = options.topic,
      .partitions = options.partitions,
      .replication_factor = options.replication_factor,
      .configs = {{"cleanup.policy", "delete"}, {"retention.ms", "-1"}, {"retention.bytes", "-1"}},
  };
  if (options.min_insync_replicas > 0) {
    spec.configs.emplace("min.insync.replicas", std::to_string(options.min_insync_replicas));
  }
  absl::Status created = admin.CreateTopic(spec);
  if (created.ok()) {
    spdlog::info("created kafka topic {} with {} partitions, replication factor {}", options.topic,
                 options.partitions, options.replication_factor);
  } else if (!absl::IsAlreadyExists(created)) {
    return created;
  }
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (;;) {
    absl::StatusOr<std::int32_t> count = admin.PartitionCount(options.topic);
    if (count.ok() || !absl::IsNotFound(count.status()) ||
        internal::Remaining(deadline).count() == 0) {
      return count;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

std::string TransactionalId(const KafkaLogOptions& options, std::string_view writer_id) {
  return fmt::format("{}{}-{}", options.transactional_id_prefix, options.topic, writer_id);
}

absl::StatusOr<std::unique_ptr<Log>> OpenKafkaLog(const KafkaLogOptions& options) {
  if (options.bootstrap_servers.empty() || options.topic.empty() || options.partitions < 1 ||
      options.replication_factor < 1 || options.timeout.count() < 1) {
    return absl::InvalidArgumentError(
        "a kafka log needs bootstrap servers, a topic, at least one partition, a replication "
        "factor of at least one and a positive timeout");
  }
  absl::StatusOr<std::unique_ptr<KafkaAdmin>> admin = KafkaAdmin::Create(options);
  if (!admin.ok()) return admin.status();
  absl::StatusOr<std::int32_t> partition_count = (*admin)->PartitionCount(options.topic);
  bool created = false;
  if (absl::IsNotFound(partition_count.status())) {
    if (!options.create_topic) {
      return absl::NotFoundError(fmt::format("kafka topic {} does not exist on {}", options.topic,
                                             options.bootstrap_servers));
    }
    partition_count = CreateTopic(**admin, options);
    created = true;
  }
  if (!partition_count.ok()) return partition_count.status();
  if (*partition_count < 1 || *partition_count > kMaxPartitions) {
    return absl::DataLossError(fmt::format("kafka topic {} has {} partitions, outside [1, {}]",
                                           options.topic, *partition_count, kMaxPartitions));
  }

  absl::StatusOr<std::map<std::string, std::string>> config =
      (*admin)->DescribeTopicConfig(options.topic);
  // A topic just created may not have reached every broker of a cluster yet:
  // the one asked may still call it unknown for a moment.
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (created && !config.ok() && internal::Remaining(deadline).count() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    config = (*admin)->DescribeTopicConfig(options.topic);
  }
  if (!config.ok()) return config.status();
  if (absl::Status kept = CheckTopicKeepsEvents(options.topic, *config); !kept.ok()) return kept;
  if (*partition_count != options.partitions) {
    spdlog::info("kafka topic {} has {} partitions (options asked for {}): using the topic's",
                 options.topic, *partition_count, options.partitions);
  }
  return std::unique_ptr<Log>(new KafkaLog(options, *partition_count));
}

}  // namespace careledger::ledger
