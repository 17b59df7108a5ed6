#include "ledger/internal/alternating_writer.h"

#include <utility>

namespace careledger::ledger::internal {

AlternatingWriter::AlternatingWriter(std::unique_ptr<LogWriter> first,
                                     std::unique_ptr<LogWriter> second)
    : writers_{std::move(first), std::move(second)} {}

absl::StatusOr<std::vector<LogPosition>> AlternatingWriter::Append(
    std::span<const AppendRecord> records) {
  absl::StatusOr<std::vector<LogPosition>> appended = writers_[next_]->Append(records);
  if (pinned_) return appended;
  if (appended.ok()) {
    next_ = 1 - next_;
  } else if (!absl::IsUnavailable(appended.status()) &&
             !absl::IsInvalidArgument(appended.status())) {
    pinned_ = true;
  }
  return appended;
}

}  // namespace careledger::ledger::internal
