// The replay benchmark's measured parts (`careledger bench replay`), kept
// apart from its printing: one pass over a log for its records' times (to
// choose where replays end), and one `careledger project --until TIME --into
// DIR` replay, timed, through the command's own code path (ProjectOnce).
#ifndef CARELEDGER_TOOLS_BENCH_REPLAY_H_
#define CARELEDGER_TOOLS_BENCH_REPLAY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/context.h"
#include "tools/projection_session.h"

namespace careledger::tools {

struct LogTimes {
  std::uint64_t records = 0;
  absl::Time first;    // the earliest recorded_at
  absl::Time middle;   // the median: about half the records are at or before it
  absl::Time last;     // the latest
  double seconds = 0;  // the pass
};

// Reads the context's whole log once and takes each record's recorded time.
// DATA_LOSS when a record does not parse; FAILED_PRECONDITION on an empty log.
absl::StatusOr<LogTimes> ScanLogTimes(const Context& context);

// `careledger project --until until --into into --threads threads
// [--fingerprint]` on the context's ledger: `into` must not exist or be empty.
absl::StatusOr<ProjectOnceResult> Replay(const Context& context, absl::Time until,
                                         const std::string& into, int threads, bool fingerprint);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_REPLAY_H_
