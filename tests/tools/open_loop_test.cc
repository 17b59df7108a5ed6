// Proves the open-loop driver (tools/open_loop.h) measures from each
// request's scheduled time: a stall is charged to every request scheduled
// during it, not only to the one that stalled.
#include "tools/open_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace careledger::tools {
namespace {

TEST(OpenLoopTest, QuantileIsTheNearestRank) {
  std::vector<double> values;
  for (int i = 1; i <= 1000; ++i) values.push_back(i);
  EXPECT_EQ(Quantile(values, 0.5), 500);
  EXPECT_EQ(Quantile(values, 0.99), 990);
  EXPECT_EQ(Quantile(values, 0.999), 999);
  EXPECT_EQ(Quantile(values, 1.0), 1000);
  EXPECT_EQ(Quantile(values, 0.0), 1);
  EXPECT_EQ(Quantile({}, 0.99), 0);
}

TEST(OpenLoopTest, SchedulesRateTimesDurationAndCountsFailuresApart) {
  std::atomic<int> calls{0};
  const OpenLoopResult result = RunOpenLoop(
      {.rate_per_second = 400, .duration = std::chrono::milliseconds(250), .workers = 4},
      [&](int worker) {
        EXPECT_GE(worker, 0);
        EXPECT_LT(worker, 4);
        return calls.fetch_add(1) % 10 != 0;  // every tenth fails
      });
  EXPECT_EQ(result.scheduled, 100u);
  EXPECT_EQ(calls.load(), 100);
  EXPECT_EQ(result.failed, 10u);
  EXPECT_EQ(result.succeeded, 90u);
  // The schedule spans 247.5 ms: it cannot finish sooner, whatever the machine.
  EXPECT_GE(result.seconds, 0.2475);
  EXPECT_LE(result.p50_ms, result.p99_ms);
  EXPECT_LE(result.p99_ms, result.p999_ms);
  EXPECT_LE(result.p999_ms, result.max_ms);
}

TEST(OpenLoopTest, AStallIsChargedToEveryRequestScheduledDuringIt) {
  // One sender, a request due every 5 ms; the first takes 100 ms. Requests
  // 1..10 were due at 5..50 ms and cannot complete before 100 ms, so each
  // waited at least 50 ms: a closed-loop driver would report them as fast.
  std::atomic<bool> first{true};
  const OpenLoopResult result = RunOpenLoop(
      {.rate_per_second = 200, .duration = std::chrono::milliseconds(500), .workers = 1}, [&](int) {
        if (first.exchange(false)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return true;
      });
  ASSERT_EQ(result.succeeded, 100u);
  EXPECT_GE(result.max_ms, 100.0);
  // At least 11 of 100 requests (the stalled one and the ten behind it)
  // took 50 ms or more, so the 0.9-quantile, and the 0.99, are too.
  EXPECT_GE(result.p99_ms, 50.0);
}

}  // namespace
}  // namespace careledger::tools
