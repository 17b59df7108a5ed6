#include "events/partition_digest.h"

#include <fmt/format.h>

#include "events/failure.h"
#include "events/format.h"

namespace careledger::events {

void PartitionDigest::Add(std::int64_t offset, const Hash& value_hash) {
  char offset_bytes[8];
  const auto unsigned_offset = static_cast<std::uint64_t>(offset);
  for (int i = 0; i < 8; ++i) {
    offset_bytes[i] = static_cast<char>((unsigned_offset >> (56 - 8 * i)) & 0xFF);
  }
  Sha256Hasher hasher;
  hasher.Update(std::string_view(reinterpret_cast<const char*>(running.data()), running.size()));
  hasher.Update(std::string_view(offset_bytes, sizeof(offset_bytes)));
  hasher.Update(
      std::string_view(reinterpret_cast<const char*>(value_hash.data()), value_hash.size()));
  running = hasher.Finish();
  last_offset = offset;
  ++record_count;
}

careledger::v1::Checkpoint PartitionDigest::ToCheckpoint(std::int32_t partition) const {
  careledger::v1::Checkpoint checkpoint;
  checkpoint.set_partition(partition);
  checkpoint.set_last_offset(last_offset);
  checkpoint.set_record_count(record_count);
  checkpoint.set_running_hash(HashBytes(running));
  return checkpoint;
}

absl::Status CheckCheckpoint(const careledger::v1::Checkpoint& checkpoint, std::int32_t partition,
                             const PartitionDigest& digest) {
  if (checkpoint.partition() != partition) {
    return VerificationFailure(
        FailureKind::kCheckpointMismatch,
        fmt::format("checkpoint names partition {} but is stored in partition {}",
                    checkpoint.partition(), partition));
  }
  if (checkpoint.last_offset() != digest.last_offset ||
      checkpoint.record_count() != digest.record_count) {
    return VerificationFailure(
        FailureKind::kCheckpointMismatch,
        fmt::format(
            "checkpoint covers {} records up to offset {} but the log holds {} up to offset {}",
            checkpoint.record_count(), checkpoint.last_offset(), digest.record_count,
            digest.last_offset));
  }
  if (checkpoint.running_hash() != HashBytes(digest.running)) {
    return VerificationFailure(FailureKind::kCheckpointMismatch,
                               "checkpoint running hash differs from the log's: history before it "
                               "was rewritten");
  }
  return absl::OkStatus();
}

}  // namespace careledger::events
