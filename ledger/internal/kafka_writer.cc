#include "ledger/internal/kafka_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <thread>
#include <utility>

#include "events/format.h"

namespace careledger::ledger::internal {
namespace {

using Clock = std::chrono::steady_clock;

// A produced record's msg_opaque: the Append's batch number (low 32 bits) in
// the high half, the record's index in the low half.
void* DeliveryTag(std::uint64_t batch, std::size_t index) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>((batch << 32) | index));
}

// A record Kafka refuses for its size fails the same way on every retry.
absl::StatusCode DeliveryFailureCode(rd_kafka_resp_err_t error) {
  return error == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? absl::StatusCode::kInvalidArgument
                                                       : absl::StatusCode::kUnavailable;
}

}  // namespace

KafkaWriter::KafkaWriter(const KafkaLogOptions& options, std::int32_t partition_count,
                         std::string transactional_id)
    : topic_(options.topic),
      partition_count_(partition_count),
      transactional_id_(std::move(transactional_id)),
      timeout_(options.timeout) {}

KafkaWriter::~KafkaWriter() = default;

absl::StatusOr<std::unique_ptr<KafkaWriter>> KafkaWriter::Open(const KafkaLogOptions& options,
                                                               std::int32_t partition_count,
                                                               std::string_view writer_id) {
  if (partition_count < 1 || options.timeout.count() < 1) {
    return absl::InvalidArgumentError(
        "a kafka writer needs at least one partition and a positive timeout");
  }
  std::unique_ptr<KafkaWriter> writer(
      new KafkaWriter(options, partition_count, TransactionalId(options, writer_id)));
  const std::int64_t timeout_ms = options.timeout.count();
  absl::StatusOr<KafkaConf> conf = NewKafkaConf(
      options,
      {
          {"transactional.id", writer->transactional_id_},
          {"enable.idempotence", "true"},
          {"acks", "all"},
          // Every Append ends by flushing and committing its batch: waiting
          // for more records (librdkafka's default 5 ms) only adds latency
          // (p50 of a service read on Kafka: 26 ms with it, 18 ms without).
          {"linger.ms", "0"},
          // Bounds delivery, so a dead partition fails Append in time.
          {"message.timeout.ms", std::to_string(timeout_ms)},
          // Must be >= message.timeout.ms; the broker aborts a
          // transaction left open longer (e.g. by a crashed writer).
          {"transaction.timeout.ms", std::to_string(std::max<std::int64_t>(60'000, timeout_ms))},
      });
  if (!conf.ok()) return conf.status();
  if (absl::Status lowered = LowerMainThreadPriority(conf->get()); !lowered.ok()) return lowered;
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaWriter::OnDelivery);
  rd_kafka_conf_set_opaque(conf->get(), writer.get());
  absl::StatusOr<KafkaProducer> producer = NewKafkaProducer(*std::move(conf));
  if (!producer.ok()) return producer.status();
  writer->producer_ = *std::move(producer);
  writer->topic_handle_.reset(
      rd_kafka_topic_new(writer->producer_.get(), options.topic.c_str(), nullptr));
  if (writer->topic_handle_ == nullptr) {
    return KafkaStatus(rd_kafka_last_error(), fmt::format("kafka topic {}", options.topic));
  }

  KafkaError error(rd_kafka_init_transactions(writer->producer_.get(), TimeoutMs(options.timeout)));
  if (error != nullptr) {
    if (std::optional<absl::Status> fatal = writer->FatalStatus(error.get())) return *fatal;
    const std::string context =
        fmt::format("cannot start kafka writer with transactional.id {} within {} ms",
                    writer->transactional_id_, timeout_ms);
    if (rd_kafka_error_is_retriable(error.get())) {
      return absl::UnavailableError(fmt::format("{}: {} ({})", context,
                                                rd_kafka_error_string(error.get()),
                                                rd_kafka_error_name(error.get())));
    }
    return KafkaStatus(*error, context);
  }
  return writer;
}

void KafkaWriter::OnDelivery(rd_kafka_t* /*handle*/, const rd_kafka_message_t* message,
                             void* opaque) {
  auto* writer = static_cast<KafkaWriter*>(opaque);
  const auto tag = reinterpret_cast<std::uintptr_t>(message->_private);
  const std::uint64_t batch = tag >> 32;
  const std::size_t index = tag & 0xffff'ffffu;
  if (batch != (writer->batch_ & 0xffff'ffffu) || index >= writer->deliveries_.size()) return;
  Delivery& delivery = writer->deliveries_[index];
  delivery.reported = true;
  delivery.error = message->err;
  delivery.position = LogPosition{message->partition, message->offset};
}

absl::StatusOr<std::vector<LogPosition>> KafkaWriter::Append(
    std::span<const AppendRecord> records) {
  if (!permanent_error_.ok()) return permanent_error_;
  for (std::size_t i = 0; i < records.size(); ++i) {
    // Stream ids name patients: messages cite the record's index instead.
    if (records[i].partition < 0 || records[i].partition >= partition_count_) {
      return absl::InvalidArgumentError(
          fmt::format("record {} of {} names partition {}, but topic {} has {} partitions", i + 1,
                      records.size(), records[i].partition, topic_, partition_count_));
    }
  }
  if (records.empty()) return std::vector<LogPosition>{};
  if (abort_pending_) {
    absl::Status settled = Abort(absl::OkStatus());
    if (!settled.ok()) return settled;
    if (abort_pending_) {
      return absl::UnavailableError(
          fmt::format("kafka writer {}: an earlier aborted transaction is still not settled",
                      transactional_id_));
    }
  }

  if (KafkaError error(rd_kafka_begin_transaction(producer_.get())); error != nullptr) {
    if (std::optional<absl::Status> fatal = FatalStatus(error.get())) return *fatal;
    return Permanent(absl::FailedPreconditionError(
        fmt::format("kafka writer {} cannot begin a transaction: {} ({})", transactional_id_,
                    rd_kafka_error_string(error.get()), rd_kafka_error_name(error.get()))));
  }
  ++batch_;
  deliveries_.assign(records.size(), Delivery{});
  const Clock::time_point deadline = Clock::now() + timeout_;
  if (absl::Status produced = ProduceAll(records, deadline); !produced.ok()) {
    return Abort(std::move(produced));
  }
  if (absl::Status delivered = AwaitDeliveries(deadline); !delivered.ok()) {
    return Abort(std::move(delivered));
  }
  if (absl::Status committed = Commit(); !committed.ok()) return committed;

  std::vector<LogPosition> positions;
  positions.reserve(deliveries_.size());
  for (const Delivery& delivery : deliveries_) positions.push_back(delivery.position);
  return positions;
}

absl::Status KafkaWriter::ProduceAll(std::span<const AppendRecord> records,
                                     Clock::time_point deadline) {
  for (std::size_t i = 0; i < records.size(); ++i) {
    const AppendRecord& record = records[i];
    // RD_KAFKA_MSG_F_COPY: librdkafka copies the value, so the const_cast
    // never lets it write to the caller's string.
    while (rd_kafka_produce(topic_handle_.get(), record.partition, RD_KAFKA_MSG_F_COPY,
                            const_cast<char*>(record.value.data()), record.value.size(),
                            record.key.data(), record.key.size(), DeliveryTag(batch_, i)) != 0) {
      const rd_kafka_resp_err_t error = rd_kafka_last_error();
      if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL || Remaining(deadline).count() == 0) {
        return absl::Status(
            DeliveryFailureCode(error),
            fmt::format("kafka writer {} cannot produce record {} of {} to partition {}: {} ({})",
                        transactional_id_, i + 1, records.size(), record.partition,
                        rd_kafka_err2str(error), rd_kafka_err2name(error)));
      }
      rd_kafka_poll(producer_.get(), 10);  // let deliveries drain the queue
    }
  }
  return absl::OkStatus();
}

absl::Status KafkaWriter::AwaitDeliveries(Clock::time_point deadline) {
  // flush serves the delivery callbacks; it returns once every report is in.
  rd_kafka_flush(producer_.get(), TimeoutMs(Remaining(deadline)));
  for (std::size_t i = 0; i < deliveries_.size(); ++i) {
    const Delivery& delivery = deliveries_[i];
    if (!delivery.reported) {
      return absl::UnavailableError(
          fmt::format("kafka writer {}: record {} of {} was not delivered within {} ms",
                      transactional_id_, i + 1, deliveries_.size(), timeout_.count()));
    }
    if (delivery.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::Status(
          DeliveryFailureCode(delivery.error),
          fmt::format("kafka writer {}: record {} of {} to partition {} was not delivered: {} ({})",
                      transactional_id_, i + 1, deliveries_.size(), delivery.position.partition,
                      rd_kafka_err2str(delivery.error), rd_kafka_err2name(delivery.error)));
    }
  }
  return absl::OkStatus();
}

absl::Status KafkaWriter::Commit() {
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (;;) {
    KafkaError error(rd_kafka_commit_transaction(producer_.get(), TimeoutMs(Remaining(deadline))));
    if (error == nullptr) return absl::OkStatus();
    if (std::optional<absl::Status> fatal = FatalStatus(error.get())) return *fatal;
    const std::string detail = fmt::format("{} ({})", rd_kafka_error_string(error.get()),
                                           rd_kafka_error_name(error.get()));
    if (rd_kafka_error_txn_requires_abort(error.get())) {
      return Abort(absl::UnavailableError(
          fmt::format("kafka writer {}: the commit failed: {}", transactional_id_, detail)));
    }
    if (!rd_kafka_error_is_retriable(error.get())) {
      return Permanent(absl::FailedPreconditionError(fmt::format(
          "kafka writer {} must be reopened: the commit failed: {}", transactional_id_, detail)));
    }
    if (Remaining(deadline).count() == 0) {
      // The commit continues in the background: only reopening settles it.
      permanent_error_ = absl::FailedPreconditionError(
          fmt::format("kafka writer {} must be reopened: an earlier commit was not confirmed ({}), "
                      "so its records may still become visible",
                      transactional_id_, detail));
      return absl::DeadlineExceededError(
          fmt::format("kafka writer {}: the commit was not confirmed within {} ms, so its "
                      "outcome is unknown; reopen the writer, then re-read the log: {}",
                      transactional_id_, timeout_.count(), detail));
    }
    std::this_thread::sleep_for(std::min(Remaining(deadline), std::chrono::milliseconds(100)));
  }
}

absl::Status KafkaWriter::Abort(absl::Status cause) {
  if (std::optional<absl::Status> fatal = FatalStatus(nullptr)) return *fatal;
  KafkaError error(rd_kafka_abort_transaction(producer_.get(), TimeoutMs(timeout_)));
  abort_pending_ = false;
  if (error == nullptr) {
    if (cause.ok()) return cause;
    return absl::Status(cause.code(), fmt::format("{}; the transaction was aborted, so none of "
                                                  "its records will become visible",
                                                  cause.message()));
  }
  if (std::optional<absl::Status> fatal = FatalStatus(error.get())) return *fatal;
  const std::string detail =
      fmt::format("{} ({})", rd_kafka_error_string(error.get()), rd_kafka_error_name(error.get()));
  if (!rd_kafka_error_is_retriable(error.get())) {
    return Permanent(absl::FailedPreconditionError(
        fmt::format("kafka writer {} must be reopened: aborting a transaction failed: {}",
                    transactional_id_, detail)));
  }
  abort_pending_ = true;
  if (cause.ok()) return cause;  // the caller checks abort_pending_
  return absl::Status(cause.code(),
                      fmt::format("{}; the abort is not confirmed yet and is finished by the next "
                                  "Append: {}",
                                  cause.message(), detail));
}

std::optional<absl::Status> KafkaWriter::FatalStatus(const rd_kafka_error_t* error) {
  std::array<char, 512> fatal_text{};
  rd_kafka_resp_err_t fatal =
      rd_kafka_fatal_error(producer_.get(), fatal_text.data(), fatal_text.size());
  std::string detail = fatal_text.data();
  if (fatal == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (error == nullptr || !rd_kafka_error_is_fatal(error)) return std::nullopt;
    fatal = rd_kafka_error_code(error);
    detail = rd_kafka_error_string(error);
  }
  if (IsFencedError(fatal)) {
    return Permanent(absl::AbortedError(fmt::format(
        "kafka writer {} was fenced: a newer writer opened the same transactional.id, so this "
        "one must stop; its open transaction was not committed ({}: {})",
        transactional_id_, rd_kafka_err2name(fatal), detail)));
  }
  return Permanent(absl::FailedPreconditionError(
      fmt::format("kafka writer {} must be reopened after a fatal producer error: {} ({})",
                  transactional_id_, detail, rd_kafka_err2name(fatal))));
}

absl::Status KafkaWriter::Permanent(absl::Status status) {
  permanent_error_ = status;
  return status;
}

}  // namespace careledger::ledger::internal
