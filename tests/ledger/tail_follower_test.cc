// The writer's tail follower (ledger/internal/tail_follower.h): records in
// log order from the given offsets, exactly once, new ones as they are
// appended; a read error comes out of Take after the records read before it,
// and the follower stops; a full queue pauses it; a stop requested ends it.
#include "ledger/internal/tail_follower.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/memory_log.h"
#include "tests/support/test_support.h"

namespace careledger::ledger::internal {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::MemoryLog;
using ::careledger::testing::StatusIs;
using Clock = std::chrono::steady_clock;

void Append(MemoryLog& log, std::int32_t partition, int count, const std::string& prefix) {
  absl::StatusOr<std::unique_ptr<LogWriter>> writer = log.OpenWriter("test");
  ASSERT_THAT(writer, IsOk());
  std::vector<AppendRecord> records;
  for (int i = 0; i < count; ++i) {
    records.push_back({partition, "stream", prefix + std::to_string(i)});
  }
  ASSERT_THAT((*writer)->Append(records), IsOk());
}

// Takes until `want` records came or 10 s passed.
std::vector<events::LogRecord> TakeAtLeast(TailFollower& follower, std::size_t want) {
  std::vector<events::LogRecord> taken;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (taken.size() < want && Clock::now() < deadline) {
    EXPECT_THAT(follower.Take(taken), IsOk());
    if (taken.size() < want) follower.Wait(Clock::now(), Clock::now() + std::chrono::seconds(1));
  }
  return taken;
}

TEST(TailFollowerTest, HandsOverRecordsFromTheGivenOffsetsInOrderThenNewOnes) {
  MemoryLog log(2);
  Append(log, 0, 3, "a");
  Append(log, 1, 2, "b");
  std::unique_ptr<TailFollower> follower = TailFollower::Start(log, {1, 0});
  std::vector<events::LogRecord> taken = TakeAtLeast(*follower, 4);
  ASSERT_EQ(taken.size(), 4u);
  std::vector<std::string> first;
  std::vector<std::string> second;
  for (const events::LogRecord& record : taken) {
    (record.partition == 0 ? first : second).push_back(record.value);
  }
  EXPECT_EQ(first, (std::vector<std::string>{"a1", "a2"}));  // a0 is before offset 1
  EXPECT_EQ(second, (std::vector<std::string>{"b0", "b1"}));

  // It keeps following: an append is handed over, once.
  const auto appended = Clock::now();
  Append(log, 0, 1, "c");
  std::vector<events::LogRecord> more = TakeAtLeast(*follower, 1);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].value, "c0");
  EXPECT_EQ(more[0].offset, 3);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!follower->CaughtUpSince(appended) && Clock::now() < deadline) {
    follower->Wait(appended, deadline);
  }
  EXPECT_TRUE(follower->CaughtUpSince(appended));
  std::vector<events::LogRecord> none;
  EXPECT_THAT(follower->Take(none), IsOk());
  EXPECT_TRUE(none.empty());
}

// A log whose reader hands over `good` records of partition 0, then fails
// every read with `error` (a broker gone, a corrupt record).
class FailingLog final : public Log {
 public:
  FailingLog(int good, absl::Status error) : good_(good), error_(std::move(error)) {}
  std::int32_t partition_count() const override { return 1; }
  std::string Describe() const override { return "failing"; }
  absl::StatusOr<std::unique_ptr<LogWriter>> OpenWriter(std::string_view) override {
    return absl::UnimplementedError("read only");
  }
  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader() override {
    return std::make_unique<Reader>(good_, error_);
  }

 private:
  class Reader final : public LogReader {
   public:
    Reader(int good, absl::Status error) : good_(good), error_(std::move(error)) {}
    std::int32_t partition_count() const override { return 1; }
    absl::Status Seek(std::span<const std::int64_t> next) override {
      next_ = next[0];
      return absl::OkStatus();
    }
    absl::StatusOr<ReadBatch> Read(std::size_t, std::chrono::milliseconds) override {
      if (next_ >= good_) return error_;
      ReadBatch batch;
      batch.records.push_back({0, next_, "stream", fmt::format("v{}", next_)});
      ++next_;
      return batch;
    }

   private:
    const int good_;
    const absl::Status error_;
    std::int64_t next_ = 0;
  };
  const int good_;
  const absl::Status error_;
};

TEST(TailFollowerTest, RecordsReadBeforeAnErrorComeFirstThenTheErrorAndItStops) {
  FailingLog log(3, absl::DataLossError("partition 0 offset 3: the record does not parse"));
  std::unique_ptr<TailFollower> follower = TailFollower::Start(log, {1});
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::vector<events::LogRecord> taken;
  absl::Status status = follower->Take(taken);
  while (status.ok() && Clock::now() < deadline) {
    follower->Wait(Clock::now(), deadline);
    status = follower->Take(taken);
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("offset 3"));
  ASSERT_EQ(taken.size(), 2u);  // offsets 1 and 2, from where it was started
  EXPECT_EQ(taken[0].offset, 1);
  EXPECT_EQ(taken[1].offset, 2);
  // It stopped: it finishes, reads nothing more and stays failed.
  while (!follower->Finished() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(follower->Finished());
  std::vector<events::LogRecord> after;
  EXPECT_THAT(follower->Take(after), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(after.empty());
}

TEST(TailFollowerTest, AFullQueuePausesTheFollowerUntilTaken) {
  MemoryLog log(1);
  const int total = static_cast<int>(TailFollower::kMaxQueuedRecords) + 5000;
  Append(log, 0, total, "r");
  const auto started = Clock::now();
  std::unique_ptr<TailFollower> follower = TailFollower::Start(log, {0});
  // It reads until the queue is full (a batch may take it past the bound),
  // then waits: it cannot reach the end without a Take.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  follower->Wait(started, deadline);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(follower->CaughtUpSince(started));
  std::vector<events::LogRecord> taken;
  ASSERT_THAT(follower->Take(taken), IsOk());
  EXPECT_GE(taken.size(), TailFollower::kMaxQueuedRecords);
  EXPECT_LT(taken.size(), static_cast<std::size_t>(total));
  // Taken, it goes on to the end; every record comes exactly once, in order.
  std::vector<events::LogRecord> rest = TakeAtLeast(*follower, total - taken.size());
  taken.insert(taken.end(), rest.begin(), rest.end());
  ASSERT_EQ(taken.size(), static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) ASSERT_EQ(taken[static_cast<std::size_t>(i)].offset, i);
}

TEST(TailFollowerTest, AStopRequestedEndsItWithoutTheCallerWaiting) {
  MemoryLog log(1);
  std::unique_ptr<TailFollower> follower = TailFollower::Start(log, {0});
  follower->RequestStop();  // returns at once; the thread ends on its own
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!follower->Finished() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(follower->Finished());
}

}  // namespace
}  // namespace careledger::ledger::internal
