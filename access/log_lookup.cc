#include "access/log_lookup.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "events/format.h"

namespace careledger::access {

absl::StatusOr<LogLookup> LogLookup::Open(ledger::Log* log, std::vector<std::int64_t> ends) {
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = log->OpenReader();
  if (!reader.ok()) return reader.status();
  ends.resize(static_cast<std::size_t>((*reader)->partition_count()), 0);
  return LogLookup(*std::move(reader), std::move(ends));
}

absl::StatusOr<events::LogRecord> LogLookup::Read(std::int32_t partition, std::int64_t offset) {
  if (partition < 0 || static_cast<std::size_t>(partition) >= ends_.size() || offset < 0) {
    return absl::NotFoundError(
        fmt::format("the log has no partition {} offset {}", partition, offset));
  }
  std::vector<std::int64_t> seek = ends_;
  seek[static_cast<std::size_t>(partition)] = offset;
  if (absl::Status sought = reader_->Seek(seek); !sought.ok()) {
    // The other partitions are sought to ends the log has reached: a log
    // ending before `offset` is what a lookup calls not found.
    if (!absl::IsDataLoss(sought)) return sought;
    return absl::NotFoundError(fmt::format("the log has no record at partition {} offset {} ({})",
                                           partition, offset, sought.message()));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(fmt::format(
          "reading partition {} offset {} of the log took too long", partition, offset));
    }
    absl::StatusOr<ledger::ReadBatch> batch = reader_->Read(64, std::chrono::milliseconds(200));
    if (!batch.ok()) return batch.status();
    for (events::LogRecord& record : batch->records) {
      if (record.partition != partition) continue;
      if (record.offset == offset) return std::move(record);
      // Offsets only grow: the one asked for is not there (a Kafka
      // transaction marker, or a gap).
      if (record.offset > offset) break;
    }
    if (batch->caught_up || std::any_of(batch->records.begin(), batch->records.end(),
                                        [&](const events::LogRecord& record) {
                                          return record.partition == partition;
                                        })) {
      break;
    }
  }
  return absl::NotFoundError(
      fmt::format("the log has no record at partition {} offset {}", partition, offset));
}

}  // namespace careledger::access
