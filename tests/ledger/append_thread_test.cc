// AppendThread (ledger/internal/append_thread.h): every task runs on the one
// long-lived thread, in the order given, its result or error reaching the
// caller; the destructor lets an outstanding task finish.

#include "ledger/internal/append_thread.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

namespace careledger::ledger::internal {
namespace {

using ::careledger::testing::StatusIs;

TEST(AppendThreadTest, RunsEveryTaskOnOneThreadOtherThanTheCallers) {
  AppendThread appender;
  std::set<std::thread::id> threads;
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) {
    std::future<AppendThread::Result> result = appender.Run([&, i]() -> AppendThread::Result {
      threads.insert(std::this_thread::get_id());
      order.push_back(i);
      return std::vector<LogPosition>{LogPosition{0, i}};
    });
    AppendThread::Result positions = result.get();
    ASSERT_TRUE(positions.ok()) << positions.status();
    ASSERT_EQ(positions->size(), 1u);
    EXPECT_EQ((*positions)[0].offset, i);
  }
  ASSERT_EQ(threads.size(), 1u) << "one long-lived thread, not one per task";
  EXPECT_NE(*threads.begin(), std::this_thread::get_id());
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
}

TEST(AppendThreadTest, AnErrorReachesTheCaller) {
  AppendThread appender;
  AppendThread::Result result =
      appender.Run([]() -> AppendThread::Result { return absl::UnavailableError("broker gone"); })
          .get();
  EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(AppendThreadTest, TheDestructorLetsTheOutstandingTaskFinish) {
  std::atomic<bool> finished{false};
  std::future<AppendThread::Result> result;
  {
    AppendThread appender;
    result = appender.Run([&]() -> AppendThread::Result {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
      return std::vector<LogPosition>{};
    });
  }
  EXPECT_TRUE(finished.load()) << "destroyed before its task ran to the end";
  ASSERT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_TRUE(result.get().ok());
}

}  // namespace
}  // namespace careledger::ledger::internal
