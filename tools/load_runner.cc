#include "tools/load_runner.h"

#include <chrono>

#include "absl/time/clock.h"
#include "ledger/clock.h"

namespace careledger::tools {

absl::StatusOr<LoadReport> WriteLoad(const Context& context, ledger::Log* log,
                                     const LoadOptions& options, const AfterSlice& after_slice) {
  LoadReport report;
  report.from = absl::FromCivil(
      absl::CivilDay(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())) + 1, absl::UTCTimeZone());
  ledger::ManualClock clock(report.from);
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log, &clock);
  if (!writer.ok()) return writer.status();
  LoadGenerator load(options, report.from);
  report.plants = load.plants();
  const auto began = std::chrono::steady_clock::now();
  while (std::optional<LoadSlice> slice = load.Next()) {
    clock.Advance(slice->at - clock.Now());
    report.commands += slice->commands.size();
    const std::vector<absl::StatusOr<careledger::v1::CommandResult>> results =
        (*writer)->SubmitAll(slice->commands);
    for (std::size_t i = 0; i < results.size(); ++i) {
      const absl::StatusOr<careledger::v1::CommandResult>& result = results[i];
      if (!result.ok()) return result.status();
      // A granted read and every refusal append one access record; a repeat
      // appends nothing.
      if ((result->outcome() == careledger::v1::OUTCOME_APPLIED &&
           slice->commands[i].has_view_plan()) ||
          result->outcome() == careledger::v1::OUTCOME_REJECTED) {
        ++report.access_records;
      }
      switch (result->outcome()) {
        case careledger::v1::OUTCOME_APPLIED:
          ++report.applied;
          break;
        case careledger::v1::OUTCOME_REJECTED:
          ++report.rejected;
          break;
        default:
          ++report.duplicates;
          break;
      }
    }
    if (after_slice) {
      if (absl::Status done = after_slice(**writer, report); !done.ok()) return done;
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  report.to = clock.Now();
  return report;
}

}  // namespace careledger::tools
