// The Kafka LogReader: a consumer with isolation.level=read_committed that is
// assigned every partition of the topic (no subscription, no rebalancing, no
// committed offsets: its group.id is unique and only there because librdkafka
// requires one).
//
// Positions: a new reader starts at the beginning of every partition. Seek
// moves every partition to the given offset. An offset past a partition's high watermark is
// DATA_LOSS: a reader resumes after what it consumed, and a log that ends
// before that lost records (Seek asks the broker, within options.timeout,
// whenever an offset is not 0). Transaction markers take offsets, so an
// offset between records is allowed: the reader starts at the next record.
//
// Ends: the broker reports that the reader reached a partition's last stable
// offset (librdkafka's partition EOF, which an empty partition reports too).
// That end is final when it is also the high watermark. Below the high
// watermark a transaction is in flight: one still open, or one whose commit
// was acknowledged but whose commit markers have not landed yet (Kafka writes
// them after acknowledging EndTxn). The reader waits `options.unsettled_end_grace` for
// such an end to move; if it has not, the end stands (an open transaction is
// not committed data). So a Read after an acknowledged Append reports
// caught_up only once that Append is read. A partition is "at its end" from
// then until a record of it arrives. Read's caught_up is "every partition at
// its end". A first Read returns as soon as every partition reaches its end,
// so opening on an empty topic does not wait; once caught up, Read waits up
// to `wait` for new records.
//
// Errors: a fetch error for a partition is UNAVAILABLE (DATA_LOSS for a corrupt
// record) naming the partition and offset. So is a partition that is not at
// its end and from which nothing (no record, no end) arrived during
// `options.timeout` of Read calls (time between Reads does not count) since
// the last Seek or the last news of it: its leader is down or unreachable, or
// it has none (a cluster that lost its quorum), and without this bound a
// reader that must reach the end would wait forever. When it arrives after records of
// the same Read, those records are returned and the error comes with the next
// Read. Errors not tied to a partition (group coordinator, connection) are
// logged: librdkafka retries them and they do not affect what is read.
#ifndef CARELEDGER_LEDGER_INTERNAL_KAFKA_READER_H_
#define CARELEDGER_LEDGER_INTERNAL_KAFKA_READER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/internal/kafka_client.h"
#include "ledger/kafka_log.h"
#include "ledger/log.h"

namespace careledger::ledger::internal {

class KafkaReader final : public LogReader {
 public:
  // How soon the broker answers a fetch.
  enum class Pacing {
    kPrompt,   // as soon as there is a record (fetch.min.bytes 1)
    kBatched,  // once 1 MiB is there or 100 ms passed: far fewer fetches
               // for a follower that can wait (Log::OpenPatientReader)
  };

  // Creates the consumer; does not contact the cluster (Read does).
  static absl::StatusOr<std::unique_ptr<KafkaReader>> Open(const KafkaLogOptions& options,
                                                           std::int32_t partition_count,
                                                           Pacing pacing = Pacing::kPrompt);

  std::int32_t partition_count() const override { return partition_count_; }
  absl::Status Seek(std::span<const std::int64_t> next_offsets) override;
  absl::StatusOr<ReadBatch> Read(std::size_t max_records, std::chrono::milliseconds wait) override;

 private:
  KafkaReader(std::string topic, std::int32_t partition_count,
              std::chrono::milliseconds unsettled_end_grace, std::chrono::milliseconds silence,
              KafkaConsumer consumer);

  // The first positioning: assigns every partition at `positions`.
  absl::Status Assign(rd_kafka_topic_partition_list_t* positions);
  // Every later one: seeks the assigned partitions to `positions`, waiting
  // (within silence_) for fetchers still starting.
  absl::Status SeekAssigned(rd_kafka_topic_partition_list_t* positions);
  // DATA_LOSS when a partition ends before next_offsets[p]; UNAVAILABLE when
  // the broker does not say where it ends.
  absl::Status CheckSeekWithinLog(std::span<const std::int64_t> next_offsets);

  // Applies one polled message to `batch` (a record) or to the end markers
  // (an EOF, setting `reached_end` when the end is final). A non-OK status is
  // a fetch error.
  absl::Status Take(const rd_kafka_message_t& message, ReadBatch& batch, bool& reached_end);
  // Whether an EOF at `offset` is the partition's high watermark, by the
  // watermarks of the fetch that reported it.
  bool IsHighWatermark(std::int32_t partition, std::int64_t offset);
  // Makes every unsettled end older than the grace final; true if any was.
  bool SettleEnds(std::chrono::steady_clock::time_point now);
  // When the next unsettled end settles, or `deadline` if sooner.
  std::chrono::steady_clock::time_point NextSettling(
      std::chrono::steady_clock::time_point deadline) const;
  bool AllAtEnd() const;
  // Adds `spent` (the time of one Read) to the silence of every partition not
  // at its end that sent nothing during it, resets the others; then
  // UNAVAILABLE naming the first partition silent for longer than silence_,
  // else OK.
  absl::Status CountSilence(std::chrono::steady_clock::duration spent);

  const std::string topic_;
  const std::int32_t partition_count_;
  const std::chrono::milliseconds unsettled_end_grace_;
  const std::chrono::milliseconds silence_;  // options.timeout
  std::vector<std::int64_t> next_offsets_;   // per partition: skip records below
  std::vector<bool> at_end_;                 // per partition
  // Per partition: when an EOF below the high watermark was reported, if no
  // record of it arrived since.
  std::vector<std::optional<std::chrono::steady_clock::time_point>> unsettled_since_;
  // Per partition: whether a record, end or error of it arrived during the
  // current Read, and how long Reads have waited for one since the last.
  std::vector<bool> heard_;
  std::vector<std::chrono::steady_clock::duration> silent_for_;
  absl::Status deferred_error_;  // returned by the next Read
  bool assigned_ = false;        // whether the partitions were assigned
  KafkaConsumer consumer_;
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_KAFKA_READER_H_
