#include "tools/bench_replay.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "events/envelope.h"
#include "events/time_util.h"
#include "tools/bench_scratch.h"

namespace careledger::tools {

absl::StatusOr<LogTimes> ScanLogTimes(const Context& context) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog(/*read_only=*/true);
  if (!log.ok()) return log.status();
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::int64_t> nanos;  // recorded_at of every record, ns since the epoch
  if (absl::Status read = ReadWholeLog(
          **log,
          [&nanos](std::span<const events::LogRecord> records) -> absl::Status {
            for (const events::LogRecord& record : records) {
              absl::StatusOr<events::OpenedRecord> opened =
                  events::OpenRecord(record.key, record.value);
              if (!opened.ok()) return opened.status();
              nanos.push_back(
                  absl::ToUnixNanos(events::FromTimestamp(opened->event.recorded_at())));
            }
            return absl::OkStatus();
          });
      !read.ok()) {
    return read;
  }
  if (nanos.empty()) return absl::FailedPreconditionError("the log holds no records");
  LogTimes times;
  times.records = nanos.size();
  const auto [first, last] = std::minmax_element(nanos.begin(), nanos.end());
  times.first = absl::FromUnixNanos(*first);
  times.last = absl::FromUnixNanos(*last);
  const auto middle = nanos.begin() + static_cast<std::ptrdiff_t>(nanos.size() / 2);
  std::nth_element(nanos.begin(), middle, nanos.end());
  times.middle = absl::FromUnixNanos(*middle);
  times.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return times;
}

absl::StatusOr<ProjectOnceResult> Replay(const Context& context, absl::Time until,
                                         const std::string& into, int threads, bool fingerprint) {
  ProjectionSessionOptions options;
  options.projection_dir = into;
  options.verify_threads = threads;
  options.until = until;
  return ProjectOnce(context, options, fingerprint);
}

}  // namespace careledger::tools
