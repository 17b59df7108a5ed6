// The running SHA-256 over a partition, which checkpoints sign.
//
//   running(0) = 32 zero bytes
//   running(i) = SHA-256( running(i-1) || offset_i as 8 bytes big-endian || SHA-256(value_i) )
// over every data record of the partition in offset order (Kafka's transaction
// markers are not records and take no part). A checkpoint at offset o states the
// digest of all records before o; the checkpoint record is then folded in like
// any other, so the next checkpoint also covers it.
#ifndef CARELEDGER_EVENTS_PARTITION_DIGEST_H_
#define CARELEDGER_EVENTS_PARTITION_DIGEST_H_

#include <cstdint>

#include "absl/status/status.h"
#include "careledger/v1/envelope.pb.h"
#include "events/sha256.h"

namespace careledger::events {

struct PartitionDigest {
  Hash running = kZeroHash;
  std::int64_t last_offset = -1;  // of the last record folded in; -1 if none
  std::uint64_t record_count = 0;

  // Folds in the record at `offset` whose value hashes to `value_hash`.
  void Add(std::int64_t offset, const Hash& value_hash);

  // The checkpoint body stating this digest for `partition`.
  careledger::v1::Checkpoint ToCheckpoint(std::int32_t partition) const;

  bool operator==(const PartitionDigest&) const = default;
};

// OK when `checkpoint` states exactly `digest` for `partition`; otherwise
// kCheckpointMismatch naming what differs (a cut or rewritten history).
absl::Status CheckCheckpoint(const careledger::v1::Checkpoint& checkpoint, std::int32_t partition,
                             const PartitionDigest& digest);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_PARTITION_DIGEST_H_
