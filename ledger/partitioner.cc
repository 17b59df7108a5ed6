#include "ledger/partitioner.h"

#include <librdkafka/rdkafka.h>

#include "absl/strings/str_cat.h"

namespace careledger::ledger {

std::int32_t PartitionForKey(std::string_view key, std::int32_t partition_count) {
  // librdkafka's murmur2 partitioner is the Java client's algorithm; it reads
  // neither the topic handle nor the opaques.
  return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partition_count, nullptr,
                                          nullptr);
}

std::string CheckpointStreamId(std::int32_t partition, std::int32_t partition_count) {
  for (std::int64_t n = 0;; ++n) {
    std::string key = absl::StrCat("checkpoint/", partition, "/", n);
    if (PartitionForKey(key, partition_count) == partition) return key;
  }
}

}  // namespace careledger::ledger
