#include "tools/bench_seal.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "events/format.h"
#include "events/parallel.h"
#include "ledger/dates.h"
#include "tools/bench_projection.h"
#include "tools/bench_scratch.h"
#include "tools/exit_codes.h"
#include "tools/ledger_init.h"
#include "tools/output.h"
#include "tools/projection_session.h"
#include "tools/synthetic.h"

namespace careledger::tools {
namespace {

struct Rates {
  double append_per_second = 0;
  double project_per_second = 0;
  std::uint64_t appended = 0;
  std::uint64_t projected = 0;
};

// One scratch ledger: the commands appended (timed), then projected (timed).
absl::StatusOr<Rates> Measure(const Context& context, const SealBenchFlags& flags, int threads,
                              bool sealed, const std::vector<careledger::v1::Command>& commands) {
  auto scratch = MakeScratch(context, /*keep=*/false);
  Context bench_context(scratch->options);
  absl::StatusOr<InitializedLedger> created = InitializeLedger(bench_context);
  if (!created.ok()) return created.status();
  absl::StatusOr<ledger::KeyStore> keys = bench_context.OpenKeys();
  if (!keys.ok()) return keys.status();
  absl::StatusOr<ledger::ActiveKey> active = keys->Active(absl::Now());
  if (!active.ok()) return active.status();
  ledger::WriterOptions options;
  options.key_id = active->key_id;
  options.signing_key = active->key;
  options.sign_threads = threads;
  options.max_batch = flags.batch;
  if (sealed) {
    absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = bench_context.OpenDataKeys();
    if (!data_keys.ok()) return data_keys.status();
    options.data_keys = *std::move(data_keys);
  }
  Rates rates;
  {
    absl::StatusOr<std::unique_ptr<ledger::Writer>> writer =
        ledger::Writer::Open(created->log.get(), std::move(options));
    if (!writer.ok()) return writer.status();
    const auto start = std::chrono::steady_clock::now();
    for (const auto& result : (*writer)->SubmitAll(commands)) {
      if (!result.ok()) return result.status();
      if (result->outcome() == careledger::v1::OUTCOME_APPLIED) ++rates.appended;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.append_per_second = static_cast<double>(rates.appended) / seconds;
  }
  std::unique_ptr<ProjectionSession> session;
  absl::StatusOr<projections::ProjectionReport> report =
      ProjectBenchLog(bench_context, created->log.get(), threads, &session);
  if (!report.ok()) return report.status();
  rates.projected = report->records_applied;
  rates.project_per_second =
      static_cast<double>(report->records_applied) / absl::ToDoubleSeconds(report->elapsed);
  return rates;
}

}  // namespace

int RunBenchSeal(const SealBenchFlags& flags, const Context& context) {
  const int threads = flags.threads > 0 ? flags.threads : events::HardwareThreads();
  const std::vector<careledger::v1::Command> commands =
      SyntheticPlanCommands(flags.events, flags.patients, ledger::Today(absl::Now()));
  absl::StatusOr<Rates> clear = Measure(context, flags, threads, /*sealed=*/false, commands);
  if (!clear.ok()) return ReportError(clear.status(), context.json());
  absl::StatusOr<Rates> sealed = Measure(context, flags, threads, /*sealed=*/true, commands);
  if (!sealed.ok()) return ReportError(sealed.status(), context.json());
  const double append_ratio = sealed->append_per_second / clear->append_per_second;
  const double project_ratio = sealed->project_per_second / clear->project_per_second;
  if (context.json()) {
    PrintJson({{"benchmark", "seal"},
               {"events", clear->appended},
               {"patients", flags.patients},
               {"threads", threads},
               {"append_per_second",
                {{"clear", clear->append_per_second}, {"sealed", sealed->append_per_second}}},
               {"project_per_second",
                {{"clear", clear->project_per_second}, {"sealed", sealed->project_per_second}}},
               {"append_ratio_sealed_to_clear", append_ratio},
               {"project_ratio_sealed_to_clear", project_ratio}});
  } else {
    std::cout << fmt::format(
        "bench seal: {} events over {} patients, {} threads, same commands twice\n"
        "  append:  clear {:.0f} events/s, sealed {:.0f} events/s: sealed / clear = {:.2f}\n"
        "  project: clear {:.0f} records/s, sealed {:.0f} records/s: sealed / clear = {:.2f}\n",
        clear->appended, flags.patients, threads, clear->append_per_second,
        sealed->append_per_second, append_ratio, clear->project_per_second,
        sealed->project_per_second, project_ratio);
  }
  return clear->appended == commands.size() && sealed->appended == commands.size() ? kExitOk
                                                                                   : kExitError;
}

}  // namespace careledger::tools
