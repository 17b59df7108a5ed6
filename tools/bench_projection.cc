#include "tools/bench_projection.h"

#include <fmt/format.h>

#include "events/format.h"
#include "ledger/dates.h"
#include "tools/ledger_init.h"
#include "tools/projection_session.h"
#include "tools/synthetic.h"

namespace careledger::tools {

absl::StatusOr<projections::ProjectionReport> ProjectBenchLog(
    const Context& context, ledger::Log* log, int threads,
    std::unique_ptr<ProjectionSession>* session) {
  ProjectionSessionOptions options;
  options.log = log;
  options.verify_threads = threads;
  // Measured verifying every signature, as a reader in another process does,
  // though this process's writer signed the records.
  options.skip_own_signatures = false;
  absl::StatusOr<std::unique_ptr<ProjectionSession>> opened =
      ProjectionSession::Open(context, options);
  if (!opened.ok()) return opened.status();
  *session = *std::move(opened);
  absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
  if (!report.ok()) return report.status();
  if (!report->stops.empty()) {
    return absl::DataLossError(
        fmt::format("the benchmark's own log did not verify: {}", report->stops.front().reason));
  }
  return report;
}

absl::StatusOr<ProjectionBenchResult> BenchProjection(const Context& context, std::size_t events,
                                                      std::size_t patients, int threads) {
  absl::StatusOr<InitializedLedger> created = InitializeLedger(context);
  if (!created.ok()) return created.status();
  std::unique_ptr<ledger::Log>* log = &created->log;
  {
    absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get());
    if (!writer.ok()) return writer.status();
    for (const auto& result : (*writer)->SubmitAll(
             SyntheticPlanCommands(events, patients, ledger::Today(absl::Now())))) {
      if (!result.ok()) return result.status();
    }
  }
  std::unique_ptr<ProjectionSession> session;
  absl::StatusOr<projections::ProjectionReport> report =
      ProjectBenchLog(context, log->get(), threads, &session);
  if (!report.ok()) return report.status();
  return ProjectionBenchResult{(*log)->Describe(), report->records_applied,
                               absl::ToDoubleSeconds(report->elapsed)};
}

}  // namespace careledger::tools
