// Proves the embedded log's contract (ledger/log.h, ledger/embedded_log.h):
// atomic appends with contiguous offsets, reading to the end, seeking,
// reopening, one owner at a time, and followers in read-only mode.
#include "ledger/embedded_log.h"

#include <gtest/gtest.h>

#include "tests/support/read_log.h"
#include "tests/support/test_support.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

using ::careledger::testing::ReadAll;

TEST(EmbeddedLogTest, AppendAssignsContiguousOffsetsPerPartitionAndReadsBack) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 3, EmbeddedLogMode::kCreate});
  ASSERT_THAT(log, IsOk());
  auto writer = (*log)->OpenWriter("0");
  ASSERT_THAT(writer, IsOk());
  std::vector<AppendRecord> batch = {{0, "a", "v0"}, {2, "b", "v1"}, {0, "a", "v2"}};
  auto positions = (*writer)->Append(batch);
  ASSERT_THAT(positions, IsOk());
  ASSERT_EQ(positions->size(), 3u);
  EXPECT_EQ((*positions)[0].offset, 0);
  EXPECT_EQ((*positions)[1].offset, 0);
  EXPECT_EQ((*positions)[2].offset, 1);

  const auto records = ReadAll(**log);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].key, "a");
  EXPECT_EQ(records[0].value, "v0");
  EXPECT_EQ(records[1].value, "v2");
  EXPECT_EQ(records[2].partition, 2);
  EXPECT_EQ(records[2].value, "v1");
}

TEST(EmbeddedLogTest, EmptyLogIsCaughtUpAtOnce) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 4, EmbeddedLogMode::kCreate});
  ASSERT_THAT(log, IsOk());
  EXPECT_TRUE(ReadAll(**log).empty());
}

TEST(EmbeddedLogTest, SeekResumesAndReopenContinuesOffsets) {
  careledger::testing::TempDir dir;
  {
    auto log = OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate});
    ASSERT_THAT(log, IsOk());
    auto writer = (*log)->OpenWriter("0");
    std::vector<AppendRecord> batch = {{1, "k", "x"}, {1, "k", "y"}};
    ASSERT_THAT((*writer)->Append(batch), IsOk());
  }
  auto log = OpenEmbeddedLog({dir.Sub("log"), 9, EmbeddedLogMode::kOwner});  // count kept
  ASSERT_THAT(log, IsOk());
  EXPECT_EQ((*log)->partition_count(), 2);
  auto writer = (*log)->OpenWriter("0");
  std::vector<AppendRecord> more = {{1, "k", "z"}};
  auto positions = (*writer)->Append(more);
  ASSERT_THAT(positions, IsOk());
  EXPECT_EQ((*positions)[0].offset, 2);
  const auto tail = ReadAll(**log, {0, 1});
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].value, "y");
  EXPECT_EQ(tail[1].value, "z");
}

TEST(EmbeddedLogTest, OutOfRangePartitionWritesNothing) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate});
  auto writer = (*log)->OpenWriter("0");
  std::vector<AppendRecord> batch = {{0, "k", "ok"}, {5, "k", "bad"}};
  EXPECT_THAT((*writer)->Append(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(ReadAll(**log).empty()) << "a refused batch must leave no record";
}

TEST(EmbeddedLogTest, OnlyOneOwnerAndOneWriter) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate});
  ASSERT_THAT(log, IsOk());
  EXPECT_THAT(OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kOwner}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto first = (*log)->OpenWriter("0");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT((*log)->OpenWriter("0"), StatusIs(absl::StatusCode::kFailedPrecondition));
  first->reset();
  EXPECT_THAT((*log)->OpenWriter("0"), IsOk())
      << "a writer may be reopened once the old one is gone";
}

TEST(EmbeddedLogTest, ReadOnlyFollowerSeesTheOwnersAppends) {
  careledger::testing::TempDir dir;
  auto owner = OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate});
  ASSERT_THAT(owner, IsOk());
  auto writer = (*owner)->OpenWriter("0");
  std::vector<AppendRecord> first = {{0, "k", "one"}};
  ASSERT_THAT((*writer)->Append(first), IsOk());

  auto follower = OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kFollower});
  ASSERT_THAT(follower, IsOk());
  EXPECT_THAT((*follower)->OpenWriter("0"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ReadAll(**follower).size(), 1u);
  std::vector<AppendRecord> second = {{0, "k", "two"}};
  ASSERT_THAT((*writer)->Append(second), IsOk());
  const auto records = ReadAll(**follower);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].value, "two");
}

TEST(EmbeddedLogTest, ReadOnlyOpenOfAMissingLogIsNotFound) {
  careledger::testing::TempDir dir;
  EXPECT_THAT(OpenEmbeddedLog({dir.Sub("nothing"), 2, EmbeddedLogMode::kFollower}),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace careledger::ledger
