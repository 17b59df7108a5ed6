// Proves that careledger places streams exactly where the Java client's
// default partitioner would: (murmur2(key) & 0x7fffffff) % partitions.
#include "ledger/partitioner.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace careledger::ledger {
namespace {

// Kafka's own murmur2 vectors (clients/src/test/.../UtilsTest.java testMurmur2).
struct JavaVector {
  std::string key;
  std::int32_t murmur2;
};
const std::vector<JavaVector> kJavaVectors = {
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
};

std::int32_t JavaPartition(std::int32_t murmur2, std::int32_t partitions) {
  return (murmur2 & 0x7fffffff) % partitions;
}

TEST(PartitionerTest, MatchesJavaDefaultPartitionerForEveryCount) {
  for (const JavaVector& vector : kJavaVectors) {
    for (std::int32_t partitions : {1, 2, 3, 4, 7, 12, 64, 1000}) {
      EXPECT_EQ(PartitionForKey(vector.key, partitions), JavaPartition(vector.murmur2, partitions))
          << vector.key << " over " << partitions;
    }
  }
}

TEST(PartitionerTest, CheckpointStreamLandsInItsOwnPartition) {
  for (std::int32_t partitions : {1, 4, 16}) {
    for (std::int32_t p = 0; p < partitions; ++p) {
      const std::string stream = CheckpointStreamId(p, partitions);
      EXPECT_EQ(PartitionForKey(stream, partitions), p) << stream;
      EXPECT_EQ(stream.rfind("checkpoint/" + std::to_string(p) + "/", 0), 0u) << stream;
      EXPECT_EQ(CheckpointStreamId(p, partitions), stream) << "must be stable";
    }
  }
}

}  // namespace
}  // namespace careledger::ledger
