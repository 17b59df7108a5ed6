// The projection benchmark's measured part, kept apart from its printing.
#ifndef CARELEDGER_TOOLS_BENCH_PROJECTION_H_
#define CARELEDGER_TOOLS_BENCH_PROJECTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/context.h"
#include "tools/projection_session.h"

namespace careledger::tools {

struct ProjectionBenchResult {
  std::string log;
  std::uint64_t records = 0;
  double seconds = 0;  // projection only: verify + apply + commit
};

// Projects the benchmark's log into a fresh projection with `threads` verify
// threads, keeping the session (for queries) in `*session`. DATA_LOSS if the
// log does not verify.
absl::StatusOr<projections::ProjectionReport> ProjectBenchLog(
    const Context& context, ledger::Log* log, int threads,
    std::unique_ptr<ProjectionSession>* session);

// Initialises a ledger in `context`'s (scratch) data directory, writes
// `events` synthetic events over `patients` (untimed), then times one
// projector catching up from nothing with `threads` verify threads.
absl::StatusOr<ProjectionBenchResult> BenchProjection(const Context& context, std::size_t events,
                                                      std::size_t patients, int threads);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BENCH_PROJECTION_H_
