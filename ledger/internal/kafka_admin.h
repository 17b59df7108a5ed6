// The few Kafka admin operations the Log needs at start-up (and tests need to
// set up topics): cluster metadata, CreateTopics and DescribeConfigs. Every
// call blocks for at most the options' timeout. Not thread-safe.
#ifndef CARELEDGER_LEDGER_INTERNAL_KAFKA_ADMIN_H_
#define CARELEDGER_LEDGER_INTERNAL_KAFKA_ADMIN_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/internal/kafka_client.h"
#include "ledger/kafka_log.h"

namespace careledger::ledger::internal {

struct TopicSpec {
  std::string name;
  std::int32_t partitions = 1;
  std::int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;  // e.g. {"retention.ms", "-1"}
};

class KafkaAdmin {
 public:
  // Creates the client (librdkafka connects lazily, so this does not touch
  // the network). Uses bootstrap_servers, timeout and extra_config.
  static absl::StatusOr<std::unique_ptr<KafkaAdmin>> Create(const KafkaLogOptions& options);

  // The topic's partition count from a metadata request for all topics (a
  // request naming the topic could make a broker auto-create it with default,
  // expiring, settings). NOT_FOUND when the cluster does not have the topic;
  // UNAVAILABLE when the cluster cannot be reached in time.
  absl::StatusOr<std::int32_t> PartitionCount(std::string_view topic);

  // Creates a topic and waits (within the timeout) for the controller to
  // finish. ALREADY_EXISTS when it exists; FAILED_PRECONDITION when the
  // cluster cannot host it (e.g. fewer brokers than the replication factor).
  absl::Status CreateTopic(const TopicSpec& spec);

  // Every configuration value of a topic, defaults included, by name.
  // Sensitive values the broker does not disclose are absent.
  absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(std::string_view topic);

 private:
  KafkaAdmin(KafkaProducer handle, std::chrono::milliseconds timeout)
      : handle_(std::move(handle)), timeout_(timeout) {}

  KafkaProducer handle_;  // admin requests ride on a producer handle
  std::chrono::milliseconds timeout_;
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_KAFKA_ADMIN_H_
