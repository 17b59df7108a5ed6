#include "ledger/genesis.h"

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "careledger/v1/envelope.pb.h"
#include "events/envelope.h"
#include "events/ids.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "ledger/partitioner.h"

namespace careledger::ledger {
namespace {

// OK when no partition holds a record yet.
absl::Status CheckEmpty(Log& log) {
  absl::StatusOr<std::unique_ptr<LogReader>> reader = log.OpenReader();
  if (!reader.ok()) return reader.status();
  if (absl::Status seek = (*reader)->Seek(std::vector<std::int64_t>(log.partition_count(), 0));
      !seek.ok()) {
    return seek;
  }
  for (;;) {
    absl::StatusOr<ReadBatch> batch = (*reader)->Read(1, std::chrono::milliseconds(1000));
    if (!batch.ok()) return batch.status();
    if (!batch->records.empty()) {
      const events::LogRecord& found = batch->records.front();
      return absl::AlreadyExistsError(fmt::format(
          "{} already holds records (partition {} offset {}): a log is initialised only once",
          log.Describe(), found.partition, found.offset));
    }
    if (batch->caught_up) return absl::OkStatus();
  }
}

}  // namespace

std::string GenesisStreamId(std::int32_t partition, std::int32_t partition_count) {
  for (std::int64_t n = 0;; ++n) {
    std::string key = fmt::format("genesis/{}/{}", partition, n);
    if (PartitionForKey(key, partition_count) == partition) return key;
  }
}

absl::StatusOr<std::string> WriteGenesis(Log& log, std::string_view key_id,
                                         const events::SigningKey& key, absl::Time now,
                                         std::string_view log_name) {
  if (absl::Status empty = CheckEmpty(log); !empty.ok()) return empty;
  const std::int32_t partitions = log.partition_count();
  const std::string log_id = events::RandomUuid();
  std::vector<AppendRecord> records;
  for (std::int32_t p = 0; p < partitions; ++p) {
    careledger::v1::Event event;
    event.set_event_id(events::RandomUuid());
    event.set_stream_id(GenesisStreamId(p, partitions));
    event.set_stream_seq(1);
    event.set_prev_hash(events::HashBytes(events::kZeroHash));
    *event.mutable_recorded_at() = events::ToTimestamp(now);
    event.mutable_actor()->set_user_id("careledger-init");
    event.mutable_actor()->set_role(careledger::v1::ROLE_SYSTEM);
    careledger::v1::LogGenesis* genesis = event.mutable_log_genesis();
    genesis->set_log_id(log_id);
    genesis->set_partition(p);
    genesis->set_partition_count(partitions);
    genesis->set_log_name(std::string(log_name));
    absl::StatusOr<std::string> value = events::SealEvent(event, key_id, key);
    if (!value.ok()) return value.status();
    records.push_back(AppendRecord{p, event.stream_id(), *std::move(value)});
  }
  absl::StatusOr<std::unique_ptr<LogWriter>> writer = log.OpenWriter("genesis");
  if (!writer.ok()) return writer.status();
  absl::StatusOr<std::vector<LogPosition>> positions = (*writer)->Append(records);
  if (!positions.ok()) return positions.status();
  for (const LogPosition& position : *positions) {
    if (position.offset != 0) {
      return absl::DataLossError(fmt::format(
          "the genesis of partition {} landed at offset {}, not 0: another writer appended "
          "at the same time",
          position.partition, position.offset));
    }
  }
  return log_id;
}

}  // namespace careledger::ledger
