// A Log that wraps another and fails appends on request, to test how the
// writer handles errors: before the records reach the log (nothing written),
// or after (written, but the writer is told it failed: an unknown outcome).
#ifndef CARELEDGER_TESTS_SUPPORT_FAULTY_LOG_H_
#define CARELEDGER_TESTS_SUPPORT_FAULTY_LOG_H_

#include <atomic>
#include <memory>

#include "ledger/log.h"

namespace careledger::testing {

enum class AppendFault {
  kNone,
  kFailBeforeWrite,  // UNAVAILABLE, nothing written
  kFailAfterWrite,   // written, then DEADLINE_EXCEEDED (outcome unknown)
  kMustReopen,       // written, then FAILED_PRECONDITION (reopen the writer)
  kFenced,           // ABORTED, nothing written
};

class FaultyLog final : public ledger::Log {
 public:
  explicit FaultyLog(std::unique_ptr<ledger::Log> inner) : inner_(std::move(inner)) {}

  // The next Append fails this way (once).
  void FailNextAppend(AppendFault fault) { next_fault_ = fault; }
  int appends() const { return appends_; }
  int writers_opened() const { return writers_opened_; }

  std::int32_t partition_count() const override { return inner_->partition_count(); }
  std::string Describe() const override { return "faulty(" + inner_->Describe() + ")"; }
  absl::StatusOr<std::unique_ptr<ledger::LogWriter>> OpenWriter(
      std::string_view writer_id) override;
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> OpenReader() override {
    return inner_->OpenReader();
  }

 private:
  friend class FaultyWriter;
  std::unique_ptr<ledger::Log> inner_;
  std::atomic<AppendFault> next_fault_{AppendFault::kNone};
  std::atomic<int> appends_{0};
  std::atomic<int> writers_opened_{0};
};

}  // namespace careledger::testing

#endif  // CARELEDGER_TESTS_SUPPORT_FAULTY_LOG_H_
