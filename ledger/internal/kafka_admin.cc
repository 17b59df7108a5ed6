#include "ledger/internal/kafka_admin.h"

#include <fmt/format.h>

#include <array>
#include <span>
#include <utility>

#include "events/format.h"

namespace careledger::ledger::internal {
namespace {

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const {
    rd_kafka_AdminOptions_destroy(options);
  }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
};
struct ConfigResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* resource) const {
    rd_kafka_ConfigResource_destroy(resource);
  }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using AdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;
using NewTopic = std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>;
using ConfigResource = std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter>;

// Admin options whose request (and, for CreateTopics, broker-side operation)
// timeout is `timeout`.
absl::StatusOr<AdminOptions> NewAdminOptions(rd_kafka_t* handle, rd_kafka_admin_op_t operation,
                                             std::chrono::milliseconds timeout) {
  AdminOptions options(rd_kafka_AdminOptions_new(handle, operation));
  std::array<char, 512> error_text{};
  rd_kafka_resp_err_t error = rd_kafka_AdminOptions_set_request_timeout(
      options.get(), TimeoutMs(timeout), error_text.data(), error_text.size());
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR && operation == RD_KAFKA_ADMIN_OP_CREATETOPICS) {
    error = rd_kafka_AdminOptions_set_operation_timeout(options.get(), TimeoutMs(timeout),
                                                        error_text.data(), error_text.size());
  }
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(fmt::format("kafka admin options: {}", error_text.data()));
  }
  return options;
}

// Waits for the one result event of an admin request sent to `queue`.
// librdkafka itself fails the request at the request timeout; the extra
// second only covers delivering that failure to us.
absl::StatusOr<Event> AwaitResult(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout,
                                  std::string_view what) {
  Event event(rd_kafka_queue_poll(queue, TimeoutMs(timeout + std::chrono::seconds(1))));
  if (event == nullptr) {
    return absl::UnavailableError(
        fmt::format("{}: no answer from kafka within {} ms", what, timeout.count()));
  }
  if (rd_kafka_resp_err_t error = rd_kafka_event_error(event.get());
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(error,
                       fmt::format("{}: {}", what, rd_kafka_event_error_string(event.get())));
  }
  return event;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaAdmin>> KafkaAdmin::Create(const KafkaLogOptions& options) {
  absl::StatusOr<KafkaConf> conf = NewKafkaConf(options, {});
  if (!conf.ok()) return conf.status();
  absl::StatusOr<KafkaProducer> handle = NewKafkaProducer(*std::move(conf));
  if (!handle.ok()) return handle.status();
  return std::unique_ptr<KafkaAdmin>(new KafkaAdmin(*std::move(handle), options.timeout));
}

absl::StatusOr<std::int32_t> KafkaAdmin::PartitionCount(std::string_view topic) {
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata(handle_.get(), /*all_topics=*/1, nullptr, &raw, TimeoutMs(timeout_));
  Metadata metadata(raw);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(fmt::format("cannot reach kafka within {} ms: {} ({})",
                                              timeout_.count(), rd_kafka_err2str(error),
                                              rd_kafka_err2name(error)));
  }
  const std::span topics(metadata->topics, static_cast<std::size_t>(metadata->topic_cnt));
  for (const rd_kafka_metadata_topic_t& entry : topics) {
    if (topic != entry.topic) continue;
    if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(entry.err, fmt::format("metadata of topic {}", topic));
    }
    return entry.partition_cnt;
  }
  return absl::NotFoundError(fmt::format("kafka has no topic {}", topic));
}

absl::Status KafkaAdmin::CreateTopic(const TopicSpec& spec) {
  std::array<char, 512> error_text{};
  NewTopic new_topic(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                           spec.replication_factor, error_text.data(),
                                           error_text.size()));
  if (new_topic == nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("cannot create topic {}: {}", spec.name, error_text.data()));
  }
  for (const auto& [name, value] : spec.configs) {
    if (rd_kafka_resp_err_t error =
            rd_kafka_NewTopic_set_config(new_topic.get(), name.c_str(), value.c_str());
        error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaStatus(error, fmt::format("topic {} setting {}={}", spec.name, name, value));
    }
  }
  absl::StatusOr<AdminOptions> options =
      NewAdminOptions(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_);
  if (!options.ok()) return options.status();
  Queue queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(handle_.get(), topics, 1, options->get(), queue.get());

  const std::string what = fmt::format("creating topic {}", spec.name);
  absl::StatusOr<Event> event = AwaitResult(queue.get(), timeout_, what);
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event->get()), &count);
  for (const rd_kafka_topic_result_t* result : std::span(results, count)) {
    if (rd_kafka_resp_err_t error = rd_kafka_topic_result_error(result);
        error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* detail = rd_kafka_topic_result_error_string(result);
      return KafkaStatus(error, fmt::format("{}: {}", what, detail != nullptr ? detail : ""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> KafkaAdmin::DescribeTopicConfig(
    std::string_view topic) {
  const std::string name(topic);
  ConfigResource resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  absl::StatusOr<AdminOptions> options =
      NewAdminOptions(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_);
  if (!options.ok()) return options.status();
  Queue queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(handle_.get(), resources, 1, options->get(), queue.get());

  const std::string what = fmt::format("describing the configuration of topic {}", topic);
  absl::StatusOr<Event> event = AwaitResult(queue.get(), timeout_, what);
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_ConfigResource_t** described = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event->get()), &count);
  if (count != 1) {
    return absl::UnavailableError(fmt::format("{}: kafka answered for {} resources", what, count));
  }
  if (rd_kafka_resp_err_t error = rd_kafka_ConfigResource_error(described[0]);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* detail = rd_kafka_ConfigResource_error_string(described[0]);
    return KafkaStatus(error, fmt::format("{}: {}", what, detail != nullptr ? detail : ""));
  }
  std::map<std::string, std::string> values;
  size_t entry_count = 0;
  const rd_kafka_ConfigEntry_t** entries =
      rd_kafka_ConfigResource_configs(described[0], &entry_count);
  for (const rd_kafka_ConfigEntry_t* entry : std::span(entries, entry_count)) {
    const char* value = rd_kafka_ConfigEntry_value(entry);
    if (value != nullptr) values.emplace(rd_kafka_ConfigEntry_name(entry), value);
  }
  return values;
}

}  // namespace careledger::ledger::internal
