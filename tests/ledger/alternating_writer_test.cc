// ledger/internal/alternating_writer.h: appends alternate between the two
// writers after each commit, stay on one after a retriable failure, and stay
// on a writer for good once it may have left a commit open or is unusable.
#include "ledger/internal/alternating_writer.h"

#include <gtest/gtest.h>

#include <deque>

#include "tests/support/test_support.h"

namespace careledger::ledger::internal {
namespace {

// Answers each Append with the next scripted status (OK when none is left),
// and counts its calls.
class ScriptedWriter final : public LogWriter {
 public:
  explicit ScriptedWriter(int* calls) : calls_(calls) {}
  std::int32_t partition_count() const override { return 1; }
  absl::StatusOr<std::vector<LogPosition>> Append(std::span<const AppendRecord> records) override {
    ++*calls_;
    if (!script_.empty()) {
      absl::Status next = script_.front();
      script_.pop_front();
      if (!next.ok()) return next;
    }
    return std::vector<LogPosition>(records.size());
  }
  std::deque<absl::Status> script_;

 private:
  int* calls_;
};

class AlternatingWriterTest : public ::testing::Test {
 protected:
  AlternatingWriterTest() {
    auto first = std::make_unique<ScriptedWriter>(&first_calls_);
    auto second = std::make_unique<ScriptedWriter>(&second_calls_);
    first_ = first.get();
    second_ = second.get();
    writer_ = std::make_unique<AlternatingWriter>(std::move(first), std::move(second));
  }
  absl::Status AppendOne() {
    const AppendRecord record{0, "patient/1", "value"};
    return writer_->Append(std::span<const AppendRecord>(&record, 1)).status();
  }

  int first_calls_ = 0;
  int second_calls_ = 0;
  ScriptedWriter* first_;
  ScriptedWriter* second_;
  std::unique_ptr<AlternatingWriter> writer_;
};

TEST_F(AlternatingWriterTest, EachCommitHandsTheNextAppendToTheOther) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(AppendOne().ok());
  EXPECT_EQ(first_calls_, 3);
  EXPECT_EQ(second_calls_, 2);
}

TEST_F(AlternatingWriterTest, AnAbortedAppendIsFollowedOnTheSameWriter) {
  first_->script_ = {absl::UnavailableError("aborted"), absl::InvalidArgumentError("too large")};
  EXPECT_TRUE(absl::IsUnavailable(AppendOne()));
  EXPECT_TRUE(absl::IsInvalidArgument(AppendOne()));
  EXPECT_TRUE(AppendOne().ok());
  EXPECT_EQ(first_calls_, 3) << "the writer that failed appends until it commits";
  EXPECT_TRUE(AppendOne().ok());
  EXPECT_EQ(second_calls_, 1);
}

TEST_F(AlternatingWriterTest, AnOpenOutcomeOrAFenceKeepsEveryLaterAppendOnThatWriter) {
  for (const absl::Status& failure :
       {absl::DeadlineExceededError("commit not confirmed"), absl::AbortedError("fenced"),
        absl::FailedPreconditionError("reopen"), absl::InternalError("unexpected")}) {
    SCOPED_TRACE(failure.ToString());
    first_calls_ = second_calls_ = 0;
    auto first = std::make_unique<ScriptedWriter>(&first_calls_);
    auto second = std::make_unique<ScriptedWriter>(&second_calls_);
    second->script_ = {failure, absl::FailedPreconditionError("reopen"),
                       absl::FailedPreconditionError("reopen")};
    writer_ = std::make_unique<AlternatingWriter>(std::move(first), std::move(second));
    EXPECT_TRUE(AppendOne().ok());
    EXPECT_EQ(AppendOne().code(), failure.code());
    EXPECT_TRUE(absl::IsFailedPrecondition(AppendOne()));
    EXPECT_TRUE(absl::IsFailedPrecondition(AppendOne()));
    EXPECT_EQ(first_calls_, 1) << "nothing more through the other writer";
    EXPECT_EQ(second_calls_, 3);
  }
}

}  // namespace
}  // namespace careledger::ledger::internal
