// The start-up benchmark's measured parts (`careledger bench startup`), kept
// apart from its printing: building a large log with a writer snapshot near
// its end, the raw read rate of that log (the machine's limit for reading
// it), and one writer start-up, measured in a process of its own so its
// resident memory is its own.
#ifndef CARELEDGER_TOOLS_BENCH_STARTUP_H_
#define CARELEDGER_TOOLS_BENCH_STARTUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tools/context.h"

namespace careledger::tools {

struct StartupLogReport {
  std::uint64_t commands = 0;     // submitted by the load
  std::uint64_t at_snapshot = 0;  // commands submitted when the snapshot was taken
  std::string snapshot_path;
  double seconds = 0;  // writing the load
};

// Initialises a ledger in `context`'s data directory and writes a `careledger
// load` workload of about `records` commands (most of them reads, so access
// records), taking a writer snapshot once all but `tail` were submitted.
// `patients` 0 = one per 200 records (at least 100, at most 50,000).
absl::StatusOr<StartupLogReport> BuildStartupLog(const Context& context, std::uint64_t records,
                                                 std::uint64_t tail, std::size_t patients = 0);

struct RawReadReport {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // keys and values
  double seconds = 0;
};

// Reads the whole log once without looking inside a record: what reading it
// can cost at best on this machine.
absl::StatusOr<RawReadReport> ReadWholeLogRaw(const Context& context);

struct StartupPhase {
  bool from_snapshot = false;
  std::uint64_t records = 0;       // in the recovered state
  std::uint64_t records_read = 0;  // from the log
  double seconds = 0;              // Writer::Open
  std::string snapshot_rejected;
  std::uint64_t rss_before_kb = 0;  // VmRSS with the log open, before the writer
  std::uint64_t rss_after_kb = 0;   // VmRSS with the writer open
  std::uint64_t hwm_kb = 0;         // VmHWM: the process's peak
  // The heap in use (glibc mallinfo2), before and after: what the writer
  // keeps, without memory freed but not returned to the system.
  std::uint64_t heap_before_kb = 0;
  std::uint64_t heap_after_kb = 0;
};

// Opens the context's log and a writer on it (with its snapshots when
// `use_snapshot`, else reading the whole log), in this process, and reports.
absl::StatusOr<StartupPhase> MeasureStartup(const Context& context, bool use_snapshot, int threads);
nlohmann::json StartupPhaseJson(const StartupPhase& phase);
absl::StatusOr<StartupPhase> StartupPhaseFromJson(const std::string& text);

// Runs MeasureStartup in a new careledger process (`bench startup-phase`)
// on the context's data directory, so memory figures are not the caller's.
absl::StatusOr<StartupPhase> MeasureStartupInChild(const Context& context, bool use_snapshot,
                                                   int threads);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_STARTUP_H_
