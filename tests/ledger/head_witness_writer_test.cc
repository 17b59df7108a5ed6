// ledger/head_witness_writer.h: the head file is written off the caller's
// thread, only ever moves forward, and holds the last update once the
// writer is gone.
#include "ledger/head_witness_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "ledger/head_witness.h"
#include "tests/support/test_support.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;

// Two partitions' digests with `records` records folded into the first.
std::vector<events::PartitionDigest> DigestsAfter(std::int64_t records) {
  std::vector<events::PartitionDigest> digests(2);
  for (std::int64_t offset = 0; offset < records; ++offset) {
    digests[0].Add(offset, events::Sha256(std::to_string(offset)));
  }
  return digests;
}

// The first partition's last offset the file states, or -2 if unreadable.
std::int64_t LastOffsetInFile(const std::string& path) {
  absl::StatusOr<std::vector<Witness>> read = ReadHeadWitness(path);
  if (!read.ok() || read->empty()) return -2;
  return read->front().digest.last_offset;
}

TEST(HeadWitnessWriter, WritesWhatItIsHandedAndFlushWaitsForIt) {
  careledger::testing::TempDir dir;
  const std::string path = dir.Sub("heads.json");
  HeadWitnessWriter writer(path);
  writer.Update(DigestsAfter(3));
  writer.Flush();
  absl::StatusOr<std::vector<Witness>> read = ReadHeadWitness(path);
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].digest, DigestsAfter(3)[0]);
  EXPECT_EQ((*read)[1].digest.last_offset, -1);
  writer.Update(DigestsAfter(5));
  writer.Flush();
  EXPECT_EQ(LastOffsetInFile(path), 4);
}

TEST(HeadWitnessWriter, HoldsTheLastUpdateOnceDestroyed) {
  careledger::testing::TempDir dir;
  const std::string path = dir.Sub("heads.json");
  {
    HeadWitnessWriter writer(path);
    for (std::int64_t records = 1; records <= 200; ++records) {
      writer.Update(DigestsAfter(records));
    }
  }
  EXPECT_EQ(LastOffsetInFile(path), 199);
}

TEST(HeadWitnessWriter, TheFileOnlyMovesForward) {
  careledger::testing::TempDir dir;
  const std::string path = dir.Sub("heads.json");
  std::atomic<bool> updating{true};
  std::int64_t highest_seen = -1;
  std::size_t reads = 0;
  {
    HeadWitnessWriter writer(path);
    writer.Update(DigestsAfter(1));
    writer.Flush();
    std::thread updates([&] {
      for (std::int64_t records = 2; records <= 400; ++records) {
        writer.Update(DigestsAfter(records));
      }
      updating = false;
    });
    while (updating) {
      const std::int64_t seen = LastOffsetInFile(path);
      ASSERT_GE(seen, highest_seen) << "the head file went backwards";
      highest_seen = seen;
      ++reads;
    }
    updates.join();
    writer.Flush();
    EXPECT_EQ(LastOffsetInFile(path), 399);
  }
  EXPECT_GT(reads, 0u);
}

TEST(HeadWitnessWriter, AFailedWriteNeitherBlocksNorStopsLaterOnes) {
  careledger::testing::TempDir dir;
  const std::string path = dir.Sub("missing/heads.json");
  HeadWitnessWriter writer(path);
  writer.Update(DigestsAfter(2));
  writer.Flush();  // returns although the directory does not exist
  EXPECT_EQ(LastOffsetInFile(path), -2);
  std::filesystem::create_directories(dir.Sub("missing"));
  writer.Update(DigestsAfter(3));
  writer.Flush();
  EXPECT_EQ(LastOffsetInFile(path), 2);
}

}  // namespace
}  // namespace careledger::ledger
