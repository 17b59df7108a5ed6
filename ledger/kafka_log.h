// The Kafka backend of the Log (DESIGN §4), through librdkafka.
//
// - One topic, partitioned by record key with ledger/partitioner.h.
// - Opening the log connects, creates the topic when it is missing (with
//   cleanup.policy=delete, retention.ms=-1, retention.bytes=-1) and checks an
//   existing topic's configuration: a topic that would expire or compact data
//   is refused with FAILED_PRECONDITION and a message naming the setting.
// - A writer is two transactional producers (acks=all, idempotent), appended
//   through in turn (internal/alternating_writer.h), whose transactional.ids
//   are TransactionalId(options, writer id), i.e. transactional_id_prefix +
//   topic + "-" + writer id, and the same followed by kAlternateSuffix:
//   opening a second writer with the same id fences both of the first's, whose
//   next Append fails with ABORTED "fenced".
// - Readers consume with isolation.level=read_committed, by assignment (no
//   consumer group), so they never see aborted or open transactions.
// No librdkafka type appears in this header.
#ifndef CARELEDGER_LEDGER_KAFKA_LOG_H_
#define CARELEDGER_LEDGER_KAFKA_LOG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/log.h"

namespace careledger::ledger {

struct KafkaLogOptions {
  std::string bootstrap_servers;  // "host:port[,host:port...]"
  std::string topic = "careledger.events";
  std::int32_t partitions = 4;          // used only when creating the topic
  std::int16_t replication_factor = 1;  // used only when creating; production: 3
  // Set on a created topic when > 0; production: 2 (with replication factor 3).
  std::int32_t min_insync_replicas = 0;
  std::string transactional_id_prefix = "careledger-writer-";
  // Create the topic when it is missing; readers set false (NOT_FOUND then).
  bool create_topic = true;
  // Bounds every blocking broker call (metadata, init/commit transaction, ...)
  // and how long a reader waits for news of a partition not at its end.
  std::chrono::milliseconds timeout{30'000};
  // Readers: how long an end below the high watermark (a transaction in
  // flight, or commit markers not yet landed) must stay put before the
  // partition counts as read to its end. See ledger/internal/kafka_reader.h.
  std::chrono::milliseconds unsettled_end_grace{1'000};
  // Extra librdkafka properties for producers and consumers (e.g. security).
  std::map<std::string, std::string> extra_config;
};

// The transactional.id of `writer_id`'s producer. The topic is part of it, so
// ledgers on different topics of one cluster never fence each other, while a
// second writer of the same ledger and shard always does.
std::string TransactionalId(const KafkaLogOptions& options, std::string_view writer_id);

// Names a writer's second producer: TransactionalId(writer id + this).
inline constexpr std::string_view kAlternateSuffix = ".alternate";

// Connects, ensures the topic (see above) and returns the log. UNAVAILABLE
// when the cluster cannot be reached within `timeout`; FAILED_PRECONDITION
// when the topic's retention or cleanup policy would lose events.
absl::StatusOr<std::unique_ptr<Log>> OpenKafkaLog(const KafkaLogOptions& options);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_KAFKA_LOG_H_
