#include "tests/support/faulty_log.h"

namespace careledger::testing {

class FaultyWriter final : public ledger::LogWriter {
 public:
  FaultyWriter(FaultyLog* log, std::unique_ptr<ledger::LogWriter> inner)
      : log_(log), inner_(std::move(inner)) {}

  std::int32_t partition_count() const override { return inner_->partition_count(); }

  absl::StatusOr<std::vector<ledger::LogPosition>> Append(
      std::span<const ledger::AppendRecord> records) override {
    ++log_->appends_;
    switch (log_->next_fault_.exchange(AppendFault::kNone)) {
      case AppendFault::kNone:
        return inner_->Append(records);
      case AppendFault::kFailBeforeWrite:
        return absl::UnavailableError("injected: broker unreachable before the write");
      case AppendFault::kFailAfterWrite: {
        auto written = inner_->Append(records);
        if (!written.ok()) return written.status();
        return absl::DeadlineExceededError("injected: commit outcome unknown");
      }
      case AppendFault::kFenced:
        return absl::AbortedError("injected: fenced by a newer writer");
      case AppendFault::kMustReopen: {
        auto written = inner_->Append(records);
        if (!written.ok()) return written.status();
        return absl::FailedPreconditionError("injected: writer must be reopened");
      }
    }
    return absl::InternalError("unreachable");
  }

 private:
  FaultyLog* log_;
  std::unique_ptr<ledger::LogWriter> inner_;
};

absl::StatusOr<std::unique_ptr<ledger::LogWriter>> FaultyLog::OpenWriter(
    std::string_view writer_id) {
  auto inner = inner_->OpenWriter(writer_id);
  if (!inner.ok()) return inner.status();
  ++writers_opened_;
  return std::unique_ptr<ledger::LogWriter>(new FaultyWriter(this, *std::move(inner)));
}

}  // namespace careledger::testing
