// The Kafka LogWriter: one transactional producer (transactional.id =
// options.transactional_id_prefix + writer id, acks=all, idempotent); each
// Append is one Kafka transaction.
//
// Constructible from a bootstrap, a topic and a partition count without the
// topic checks of OpenKafkaLog, so tests can run it against librdkafka's mock
// cluster (which has no admin API).
//
// How Append fails (the LogWriter contract in ledger/log.h, made precise):
//  - INVALID_ARGUMENT: a record names a partition outside [0, partition
//    count); checked before anything is produced. Also (after aborting the
//    transaction) a record larger than Kafka accepts (message.max.bytes).
//  - UNAVAILABLE: the transaction failed before its commit was requested
//    (delivery failed or timed out, or the broker refused a record) and was
//    aborted, so none of the records is or will become visible. The writer
//    stays usable. If the abort itself could not finish in time, the next
//    Append finishes it first (the records were never committed either way).
//  - DEADLINE_EXCEEDED: the commit was requested but not confirmed within the
//    timeout, so the records may still become visible. The writer then
//    refuses every Append with FAILED_PRECONDITION "reopen": reopening (a new
//    writer with the same id) fences this producer and waits for the
//    coordinator to settle the transaction, after which a re-read of the log
//    shows the true outcome. Re-reading without reopening could miss records
//    that commit later and fork a stream.
//  - ABORTED "fenced": another writer took over the
//    transactional.id; nothing of this Append was committed. Permanent.
//  - FAILED_PRECONDITION (other fatal producer errors, e.g. lost
//    authorization): permanent for this writer; reopen it.
// After a permanent error every later Append returns the same status.
//
// Timing: producing and delivery take at most `timeout` (message.timeout.ms
// is set to it); the commit, and an abort, each take at most `timeout` more.
#ifndef CARELEDGER_LEDGER_INTERNAL_KAFKA_WRITER_H_
#define CARELEDGER_LEDGER_INTERNAL_KAFKA_WRITER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/internal/kafka_client.h"
#include "ledger/kafka_log.h"
#include "ledger/log.h"

namespace careledger::ledger::internal {

class KafkaWriter final : public LogWriter {
 public:
  // Creates the producer and runs init_transactions (fencing any earlier
  // producer with the same transactional.id and settling its transaction).
  // UNAVAILABLE when the transaction coordinator cannot be reached in time.
  static absl::StatusOr<std::unique_ptr<KafkaWriter>> Open(const KafkaLogOptions& options,
                                                           std::int32_t partition_count,
                                                           std::string_view writer_id);

  ~KafkaWriter() override;
  KafkaWriter(const KafkaWriter&) = delete;
  KafkaWriter& operator=(const KafkaWriter&) = delete;

  std::int32_t partition_count() const override { return partition_count_; }
  absl::StatusOr<std::vector<LogPosition>> Append(std::span<const AppendRecord> records) override;

 private:
  // One produced record's delivery report.
  struct Delivery {
    bool reported = false;
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    LogPosition position;
  };

  KafkaWriter(const KafkaLogOptions& options, std::int32_t partition_count,
              std::string transactional_id);

  // librdkafka's delivery-report callback; runs on this writer's thread inside
  // rd_kafka_poll/flush and ignores reports from an earlier Append.
  static void OnDelivery(rd_kafka_t* handle, const rd_kafka_message_t* message, void* opaque);

  absl::Status ProduceAll(std::span<const AppendRecord> records,
                          std::chrono::steady_clock::time_point deadline);
  absl::Status AwaitDeliveries(std::chrono::steady_clock::time_point deadline);
  absl::Status Commit();
  // Aborts the open transaction; `cause` is the status to report once the
  // abort is done (or scheduled to be finished by the next Append).
  absl::Status Abort(absl::Status cause);
  // A status for a failure whose librdkafka error is `error` (may be null):
  // the permanent status if the producer hit a fatal error, else nullopt.
  std::optional<absl::Status> FatalStatus(const rd_kafka_error_t* error);
  absl::Status Permanent(absl::Status status);

  const std::string topic_;
  const std::int32_t partition_count_;
  const std::string transactional_id_;
  const std::chrono::milliseconds timeout_;

  // The reports of the current Append, indexed like its records; a report
  // carries (batch_, index) so late reports of an earlier batch are dropped.
  std::vector<Delivery> deliveries_;
  std::uint64_t batch_ = 0;
  // An abort that timed out, to be finished before the next transaction.
  bool abort_pending_ = false;
  // Set once the writer may no longer append; returned by every Append.
  absl::Status permanent_error_;

  // Declared last so they are destroyed first, while the state their
  // callbacks touch still exists.
  KafkaProducer producer_;
  KafkaTopic topic_handle_;
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_KAFKA_WRITER_H_
