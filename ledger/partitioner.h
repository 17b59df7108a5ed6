// Which partition a stream lives in: murmur2 of the key modulo the partition
// count, exactly as the Java client's default partitioner (and librdkafka's
// "murmur2" partitioner) computes it, so every backend and every client agrees.
#ifndef CARELEDGER_LEDGER_PARTITIONER_H_
#define CARELEDGER_LEDGER_PARTITIONER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace careledger::ledger {

// (murmur2(key) & 0x7fffffff) % partition_count. partition_count must be >= 1.
std::int32_t PartitionForKey(std::string_view key, std::int32_t partition_count);

// The stream that holds partition `partition`'s checkpoints: the first key of
// the form "checkpoint/<partition>/<n>" (n = 0, 1, ...) that maps to that
// partition, so checkpoint streams obey the same placement rule as all others.
std::string CheckpointStreamId(std::int32_t partition, std::int32_t partition_count);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_PARTITIONER_H_
