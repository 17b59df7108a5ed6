// The Log: where signed records live. Two backends implement it, Kafka
// (ledger/kafka_log.h) and embedded RocksDB (ledger/embedded_log.h); callers see
// only these interfaces. No backend type appears in this header.
//
// Records are keyed by stream id; a stream always lives in partition
// PartitionForKey(stream id, partition_count()) (ledger/partitioner.h).
#ifndef CARELEDGER_LEDGER_LOG_H_
#define CARELEDGER_LEDGER_LOG_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "events/record.h"

namespace careledger::ledger {

struct AppendRecord {
  std::int32_t partition = 0;
  std::string key;    // the stream id
  std::string value;  // a serialized SignedEvent
};

struct LogPosition {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

// The write side. Exactly one live writer per writer id: opening a second one
// fences the first (Kafka: transactional.id; embedded: the database lock).
// Not thread-safe: one thread appends at a time.
class LogWriter {
 public:
  virtual ~LogWriter() = default;

  virtual std::int32_t partition_count() const = 0;

  // Appends `records` atomically and durably: on OK every record is durable
  // (Kafka: committed with acks=all; embedded: fsynced) and readers see all of
  // them or none. Returns their positions, in the same order.
  //
  // Errors:
  //  - ABORTED "fenced": another writer took over this writer id. Permanent:
  //    the caller must stop; none of the records was committed.
  //  - FAILED_PRECONDITION: this LogWriter can no longer append (e.g. a Kafka
  //    commit whose outcome is still unknown). The caller must drop it, open a
  //    new one (which settles the old one's transaction) and re-read the log.
  //  - UNAVAILABLE / DEADLINE_EXCEEDED: the outcome may be unknown. The caller
  //    must re-read the log before appending again.
  //  ledger/writer.h does all of this.
  //  - INVALID_ARGUMENT: a record names a partition outside the log.
  virtual absl::StatusOr<std::vector<LogPosition>> Append(
      std::span<const AppendRecord> records) = 0;
};

struct ReadBatch {
  // Committed records only, in offset order within each partition
  // (partitions may interleave).
  std::vector<events::LogRecord> records;
  // True when, after these records, every partition has been read to its end
  // (Kafka: the last stable offset) as of the call.
  bool caught_up = false;
};

// The read side (read_committed). Not thread-safe: one reader per thread.
class LogReader {
 public:
  virtual ~LogReader() = default;

  virtual std::int32_t partition_count() const = 0;

  // Positions the reader: the next record returned for partition p is the first
  // at an offset >= next_offsets[p]. `next_offsets` has one entry per partition.
  // DATA_LOSS when a partition ends before next_offsets[p] - 1, a position its
  // reader consumed: a resuming reader must not mistake a cut log for new.
  virtual absl::Status Seek(std::span<const std::int64_t> next_offsets) = 0;

  // Up to `max_records` records. Returns as soon as records are ready or every
  // partition has reached its end (caught_up, possibly with no records); a
  // reader that already reported the end waits up to `wait` for new records
  // and then returns an empty batch. (Kafka's partition-EOF semantics.)
  virtual absl::StatusOr<ReadBatch> Read(std::size_t max_records,
                                         std::chrono::milliseconds wait) = 0;
};

// A log: opens writers and readers.
class Log {
 public:
  virtual ~Log() = default;

  virtual std::int32_t partition_count() const = 0;
  // "embedded:/path" or "kafka:host:port/topic", for messages.
  virtual std::string Describe() const = 0;

  // Opens the writer for `writer_id` (stable across restarts), fencing any
  // earlier writer with the same id.
  virtual absl::StatusOr<std::unique_ptr<LogWriter>> OpenWriter(std::string_view writer_id) = 0;
  virtual absl::StatusOr<std::unique_ptr<LogReader>> OpenReader() = 0;
  // A reader for a follower that can wait (the writer's tail follower,
  // ledger/internal/tail_follower.h): the same records in the same order,
  // but a backend may hold them back briefly to read them in fewer, larger
  // requests (Kafka: up to fetch.wait.max.ms, 100 ms). By default, OpenReader.
  virtual absl::StatusOr<std::unique_ptr<LogReader>> OpenPatientReader() { return OpenReader(); }
};

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_LOG_H_
