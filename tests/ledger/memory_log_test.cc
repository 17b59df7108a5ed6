// Proves the test support's in-memory log (tests/support/memory_log.h) keeps
// the Log contract the domain tests rely on: atomic appends with contiguous
// offsets, caught_up semantics, fencing, copies that do not share records.
#include "tests/support/memory_log.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/read_log.h"
#include "tests/support/test_support.h"

namespace careledger::testing {
namespace {

using ::careledger::testing::ReadAll;

TEST(MemoryLogTest, AppendsGetContiguousOffsetsPerPartitionAndReadBack) {
  MemoryLog log(3);
  auto writer = log.OpenWriter("0");
  ASSERT_THAT(writer, IsOk());
  std::vector<ledger::AppendRecord> batch = {{0, "a", "v0"}, {2, "b", "v1"}, {0, "a", "v2"}};
  auto positions = (*writer)->Append(batch);
  ASSERT_THAT(positions, IsOk());
  ASSERT_EQ(positions->size(), 3u);
  EXPECT_EQ((*positions)[0].offset, 0);
  EXPECT_EQ((*positions)[1].offset, 0);
  EXPECT_EQ((*positions)[2].offset, 1);
  const auto records = ReadAll(log);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].value, "v2");
  EXPECT_EQ(records[2].partition, 2);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.appends(), 1);
}

TEST(MemoryLogTest, BadPartitionAppendsNothing) {
  MemoryLog log(2);
  auto writer = log.OpenWriter("0");
  std::vector<ledger::AppendRecord> batch = {{0, "a", "v0"}, {2, "b", "v1"}};
  EXPECT_THAT((*writer)->Append(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log.size(), 0u) << "all or nothing";
}

TEST(MemoryLogTest, ReportsTheEndAtOnceThenWaitsForNewRecords) {
  MemoryLog log(2);
  auto reader = log.OpenReader();
  auto first = (*reader)->Read(10, std::chrono::milliseconds(0));
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->caught_up);
  EXPECT_TRUE(first->records.empty());
  auto writer = log.OpenWriter("0");
  std::thread appender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<ledger::AppendRecord> batch = {{1, "k", "v"}};
    EXPECT_THAT((*writer)->Append(batch), IsOk());
  });
  auto waited = (*reader)->Read(10, std::chrono::seconds(5));
  appender.join();
  ASSERT_THAT(waited, IsOk());
  ASSERT_EQ(waited->records.size(), 1u) << "the waiting reader sees the append";
  EXPECT_EQ(waited->records[0].partition, 1);
}

TEST(MemoryLogTest, ReopeningAWriterIdFencesTheOldWriter) {
  MemoryLog log(1);
  auto old_writer = log.OpenWriter("w");
  auto other = log.OpenWriter("other");
  auto new_writer = log.OpenWriter("w");
  std::vector<ledger::AppendRecord> batch = {{0, "k", "v"}};
  EXPECT_THAT((*old_writer)->Append(batch), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT((*new_writer)->Append(batch), IsOk());
  EXPECT_THAT((*other)->Append(batch), IsOk()) << "other writer ids are not fenced";
  EXPECT_EQ(log.size(), 2u);
}

TEST(MemoryLogTest, CloneCopiesTheRecordsAndNothingElse) {
  MemoryLog log(2);
  auto writer = log.OpenWriter("0");
  std::vector<ledger::AppendRecord> batch = {{0, "k", "v"}};
  ASSERT_THAT((*writer)->Append(batch), IsOk());
  std::unique_ptr<MemoryLog> copy = log.Clone();
  EXPECT_EQ(copy->size(), 1u);
  auto copy_writer = copy->OpenWriter("0");
  ASSERT_THAT((*copy_writer)->Append(batch), IsOk());
  EXPECT_EQ(copy->size(), 2u);
  EXPECT_EQ(log.size(), 1u) << "the original is untouched";
  EXPECT_THAT((*writer)->Append(batch), IsOk()) << "the copy's writer does not fence the original";
}

}  // namespace
}  // namespace careledger::testing
