// librdkafka plumbing shared by the Kafka backend (ledger/kafka_log.h): owning
// handles, client configuration, and the one place librdkafka errors become
// absl::Status. Private to ledger/: no public header includes this file.
#ifndef CARELEDGER_LEDGER_INTERNAL_KAFKA_CLIENT_H_
#define CARELEDGER_LEDGER_INTERNAL_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/kafka_log.h"

namespace careledger::ledger::internal {

// Owning handles. A consumer handle is destroyed without a consumer close:
// readers hold no group membership or offsets to give up.
struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct KafkaProducerDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
struct KafkaConsumerDeleter {
  void operator()(rd_kafka_t* handle) const;
};
struct KafkaTopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
struct KafkaErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
struct KafkaPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct KafkaMessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};

using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;
using KafkaProducer = std::unique_ptr<rd_kafka_t, KafkaProducerDeleter>;
using KafkaConsumer = std::unique_ptr<rd_kafka_t, KafkaConsumerDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaTopicDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, KafkaErrorDeleter>;
using KafkaPartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaPartitionListDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaMessageDeleter>;

// A client configuration: bootstrap.servers from `options`, then `settings`,
// then options.extra_config (which wins, so deployments can override any of
// ours). librdkafka's log lines and background errors go to spdlog.
// INVALID_ARGUMENT naming the property when librdkafka rejects one.
absl::StatusOr<KafkaConf> NewKafkaConf(const KafkaLogOptions& options,
                                       const std::map<std::string, std::string>& settings);

// Runs the main thread of clients made from `conf` at a lower scheduling
// priority (nice kBusyWaitingMainThreadNice). librdkafka 2.0's main thread
// busy-waits whenever its next timer is due in under a millisecond (its loop
// truncates the wait to 0 ms), and a transactional producer arms such a timer
// for every transaction: the 1 ms before it registers the transaction's
// partitions, and again after. At a thousand service reads a second that was
// a quarter of a core on a 2-core machine (docs/benchmarks.md). Lowered, the
// busy-wait takes idle time rather than the request threads' time; the
// thread's real work, the transaction protocol, is a small part of it.
// INVALID_ARGUMENT if librdkafka refuses the interceptor.
inline constexpr int kBusyWaitingMainThreadNice = 10;
absl::Status LowerMainThreadPriority(rd_kafka_conf_t* conf);

// Creates a client, taking ownership of `conf` (also on failure).
absl::StatusOr<KafkaProducer> NewKafkaProducer(KafkaConf conf);
absl::StatusOr<KafkaConsumer> NewKafkaConsumer(KafkaConf conf);

// The status for a librdkafka error code: "<context>: <description> (<NAME>)"
// with a code saying what the caller can do about it (UNAVAILABLE: retry
// later; PERMISSION_DENIED / UNAUTHENTICATED: fix credentials; ...).
absl::Status KafkaStatus(rd_kafka_resp_err_t error, std::string_view context);
// The same for an error object; its message is librdkafka's detailed string.
absl::Status KafkaStatus(const rd_kafka_error_t& error, std::string_view context);

// Whether `error` means another producer took over our transactional.id.
bool IsFencedError(rd_kafka_resp_err_t error);

// A timeout as librdkafka takes it: whole milliseconds, at least 0.
int TimeoutMs(std::chrono::milliseconds timeout);
// The time left until `deadline`, never negative.
std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline);

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_KAFKA_CLIENT_H_
