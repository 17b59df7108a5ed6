// Proves the refusal rate limit (ledger/refusal_limiter.h): within a window
// the first kRefusalBudget refusals of a user and device are recorded in
// full, the rest counted, and the count reaches the log as summary records
// (interim, at the window's end, and when the writer stops), so that a flood
// of 5,000 refusals leaves a bounded number of records and loses no count.
#include "ledger/refusal_limiter.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::LedgerWorld;
using careledger::v1::Command;
using careledger::v1::Event;

careledger::v1::Actor Someone(const std::string& user, const std::string& device) {
  careledger::v1::Actor actor;
  actor.set_user_id(user);
  actor.set_device_id(device);
  return actor;
}

TEST(RefusalLimiterTest, RecordsTheBudgetThenCountsAndSummarisesAtTheWindowsEnd) {
  RefusalLimiter limiter(RefusalLimiter::Options{3, absl::Minutes(1), 100, 10});
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  for (int i = 0; i < 3; ++i) {
    const RefusalLimiter::Verdict verdict = limiter.Admit(Someone("u", "d"), start);
    EXPECT_TRUE(verdict.record_in_full);
    EXPECT_FALSE(verdict.summary);
  }
  for (int i = 0; i < 5; ++i) {
    const RefusalLimiter::Verdict verdict =
        limiter.Admit(Someone("u", "d"), start + absl::Seconds(i));
    EXPECT_FALSE(verdict.record_in_full);
    EXPECT_FALSE(verdict.summary);
  }
  // Another device of the same user has a budget of its own.
  EXPECT_TRUE(limiter.Admit(Someone("u", "other"), start).record_in_full);
  // After the window: the count first, then this refusal in full.
  const RefusalLimiter::Verdict next = limiter.Admit(Someone("u", "d"), start + absl::Minutes(1));
  EXPECT_TRUE(next.record_in_full);
  ASSERT_TRUE(next.summary);
  EXPECT_EQ(next.summary->count, 5u);
  EXPECT_EQ(next.summary->first, start);
  EXPECT_EQ(next.summary->last, start + absl::Seconds(4));
  EXPECT_TRUE(limiter.TakeAll().empty());
}

TEST(RefusalLimiterTest, SummarisesEverySoManyAndTakesWhatIsLeft) {
  RefusalLimiter limiter(RefusalLimiter::Options{2, absl::Minutes(1), 10, 10});
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  int summaries = 0;
  for (int i = 0; i < 2 + 25; ++i) {
    const RefusalLimiter::Verdict verdict = limiter.Admit(Someone("u", "d"), now);
    if (verdict.summary) {
      ++summaries;
      EXPECT_EQ(verdict.summary->count, 10u);
      EXPECT_FALSE(verdict.record_in_full);
    }
  }
  EXPECT_EQ(summaries, 2);
  const std::vector<RefusalSummary> left = limiter.TakeAll();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].count, 5u);
  EXPECT_TRUE(limiter.TakeAll().empty());
}

TEST(RefusalLimiterTest, PastItsKeysNewOnesAreRecordedInFull) {
  RefusalLimiter limiter(RefusalLimiter::Options{0, absl::Minutes(1), 100, 2});
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_FALSE(limiter.Admit(Someone("a", "d"), now).record_in_full);
  EXPECT_FALSE(limiter.Admit(Someone("b", "d"), now).record_in_full);
  EXPECT_TRUE(limiter.Admit(Someone("c", "d"), now).record_in_full);  // no room
  EXPECT_EQ(limiter.TakeAll().size(), 2u);                            // nothing counted was dropped
}

// The count a summary record states ("N further refusals ...").
std::uint64_t CountOf(const Event& event) {
  static const std::regex kCount("^([0-9]+) further refusals");
  std::smatch match;
  const std::string& reason = event.access_recorded().reason();
  if (!std::regex_search(reason, match, kCount)) return 0;
  return std::stoull(match[1]);
}

TEST(RefusalFloodTest, FiveThousandRefusalsLeaveBoundedRecordsAndTheirCount) {
  constexpr int kFlood = 5000;
  LedgerWorld world;
  const std::vector<std::int64_t> mark = world.Mark();
  careledger::v1::Actor stranger = world.actors().ambulance;
  stranger.set_user_id("stranger");  // not in the directory: every command refused
  std::vector<Command> flood;
  for (int i = 0; i < kFlood; ++i) flood.push_back(LedgerWorld::View(stranger));
  int rejected = 0;
  for (const auto& result : world.writer().SubmitAll(flood)) {
    ASSERT_TRUE(result.ok()) << result.status();
    rejected += result->outcome() == careledger::v1::OUTCOME_REJECTED;
  }
  EXPECT_EQ(rejected, kFlood);
  world.Restart();  // a clean stop records what is still counted

  std::uint64_t in_full = 0;
  std::uint64_t summaries = 0;
  std::uint64_t counted = 0;
  for (const Event& event : world.EventsSince(mark)) {
    ASSERT_TRUE(event.has_access_recorded()) << event.DebugString();
    ASSERT_EQ(event.access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
    EXPECT_EQ(event.actor().user_id(), "stranger");
    if (event.access_recorded().action() == kSuppressedRefusalsAction) {
      ++summaries;
      counted += CountOf(event);
    } else {
      ++in_full;
    }
  }
  EXPECT_EQ(in_full, static_cast<std::uint64_t>(kRefusalBudget));
  // Every refusal is on the log, in full or in a count.
  EXPECT_EQ(in_full + counted, static_cast<std::uint64_t>(kFlood));
  // About one summary per thousand counted (the limiter's own, and the
  // writer's flushes before it answers what it held): a bounded log.
  EXPECT_GE(summaries, 1u);
  EXPECT_LE(in_full + summaries, 40u);
}

// A refusal counted (not recorded alone) is answered only after the summary
// that counts it is on the log: an answered refusal is never lost, a crash
// included, and a flooding caller waits for each answer.
TEST(RefusalFloodTest, ACountedRefusalIsAnsweredOnlyOnceItsCountIsOnTheLog) {
  LedgerWorld world;
  careledger::v1::Actor stranger = world.actors().ambulance;
  stranger.set_user_id("stranger");
  for (int i = 0; i < kRefusalBudget; ++i) world.Submit(LedgerWorld::View(stranger));
  const std::vector<std::int64_t> mark = world.Mark();
  for (std::uint64_t answered = 1; answered <= 3; ++answered) {
    absl::StatusOr<careledger::v1::CommandResult> result =
        world.writer().Submit(LedgerWorld::View(stranger));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->outcome(), careledger::v1::OUTCOME_REJECTED);
    std::uint64_t counted = 0;
    for (const Event& event : world.EventsSince(mark)) {
      ASSERT_EQ(event.access_recorded().action(), kSuppressedRefusalsAction)
          << "past the budget, no refusal is recorded alone";
      counted += CountOf(event);
    }
    EXPECT_EQ(counted, answered) << "a refusal was answered before its count was on the log";
  }
}

}  // namespace
}  // namespace careledger::ledger
