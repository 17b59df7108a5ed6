#include "tools/bench_seal.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "events/envelope.h"
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
  std::uint64_t sealed_events = 0;  // records of the log with a sealed body
  std::uint64_t sealed_bytes = 0;   // their plaintext (ciphertext less the tag)
};

// Counts the log's sealed events and their plaintext bytes (untimed): the
// sizes the cipher's own limit is measured at.
absl::Status CountSealed(ledger::Log& log, Rates* rates) {
  return ReadWholeLog(log, [rates](std::span<const events::LogRecord> records) -> absl::Status {
    for (const events::LogRecord& record : records) {
      absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
      if (!opened.ok()) return opened.status();
      if (!opened->event.has_sealed_body()) continue;
      ++rates->sealed_events;
      const std::size_t size = opened->event.sealed_body().ciphertext().size();
      rates->sealed_bytes += size > events::kGcmTagSize ? size - events::kGcmTagSize : 0;
    }
    return absl::OkStatus();
  });
}

// One scratch ledger: the commands appended (timed), then projected (timed).
absl::StatusOr<Rates> Measure(const Context& context, const SealBenchFlags& flags, int threads,
                              bool sealed, const std::vector<careledger::v1::Command>& commands) {
  auto scratch = MakeScratch(context, /*keep=*/false);
  Context bench_context(scratch->options);
  absl::StatusOr<InitializedLedger> created = InitializeLedger(bench_context);
  if (!created.ok()) return created.status();
  absl::StatusOr<ledger::WriterOptions> bench_options = BenchWriterOptions(bench_context, threads);
  if (!bench_options.ok()) return bench_options.status();
  ledger::WriterOptions options = *std::move(bench_options);
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
  if (sealed) {
    if (absl::Status counted = CountSealed(*created->log, &rates); !counted.ok()) {
      return counted;
    }
  }
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
  if (sealed->sealed_events == 0) {
    return ReportError(absl::InternalError("the sealed run wrote no sealed event"), context.json());
  }
  // The machine's limits, in the same run: Ed25519 on the same threads, and
  // AES-256-GCM on the sealed events' mean size. Sealed, each record costs
  // a signature (verification) and, for the sealed share, a seal (an open).
  const CryptoBaseline baseline = MeasureCryptoBaseline(threads);
  const std::size_t mean_bytes = sealed->sealed_bytes / sealed->sealed_events;
  const AeadBaseline aead = MeasureAeadBaseline(threads, mean_bytes);
  const double share =
      static_cast<double>(sealed->sealed_events) / static_cast<double>(sealed->projected);
  const double append_sealed_limit =
      CombinedLimit(baseline.sign_per_second, aead.seal_per_second, share);
  const double project_sealed_limit =
      CombinedLimit(baseline.verify_per_second, aead.open_per_second, share);
  const double append_ratio = sealed->append_per_second / clear->append_per_second;
  const double project_ratio = sealed->project_per_second / clear->project_per_second;
  const double append_clear_to_limit = clear->append_per_second / baseline.sign_per_second;
  const double append_sealed_to_sign = sealed->append_per_second / baseline.sign_per_second;
  const double append_sealed_to_limit = sealed->append_per_second / append_sealed_limit;
  const double project_clear_to_limit = clear->project_per_second / baseline.verify_per_second;
  const double project_sealed_to_verify = sealed->project_per_second / baseline.verify_per_second;
  const double project_sealed_to_limit = sealed->project_per_second / project_sealed_limit;
  if (context.json()) {
    PrintJson({{"benchmark", "seal"},
               {"events", clear->appended},
               {"patients", flags.patients},
               {"threads", threads},
               {"sealed_records", sealed->sealed_events},
               {"records", sealed->projected},
               {"mean_sealed_bytes", mean_bytes},
               {"append_per_second",
                {{"clear", clear->append_per_second}, {"sealed", sealed->append_per_second}}},
               {"project_per_second",
                {{"clear", clear->project_per_second}, {"sealed", sealed->project_per_second}}},
               {"append_ratio_sealed_to_clear", append_ratio},
               {"project_ratio_sealed_to_clear", project_ratio},
               {"baseline", BaselineJson(baseline)},
               {"aead_baseline", AeadBaselineJson(aead)},
               {"limits",
                {{"append_clear", baseline.sign_per_second},
                 {"append_sealed", append_sealed_limit},
                 {"project_clear", baseline.verify_per_second},
                 {"project_sealed", project_sealed_limit}}},
               {"ratios_to_limit",
                {{"append_clear", append_clear_to_limit},
                 {"append_sealed", append_sealed_to_limit},
                 {"append_sealed_to_sign", append_sealed_to_sign},
                 {"project_clear", project_clear_to_limit},
                 {"project_sealed", project_sealed_to_limit},
                 {"project_sealed_to_verify", project_sealed_to_verify}}}});
  } else {
    std::cout << fmt::format(
        "bench seal: {} events over {} patients, {} threads, same commands twice\n"
        "  sealed run: {} of {} records sealed, {} B of plaintext on average\n"
        "  append:  clear {:.0f} events/s, sealed {:.0f} events/s: sealed / clear = {:.2f}\n"
        "  project: clear {:.0f} records/s, sealed {:.0f} records/s: sealed / clear = {:.2f}\n",
        clear->appended, flags.patients, threads, sealed->sealed_events, sealed->projected,
        mean_bytes, clear->append_per_second, sealed->append_per_second, append_ratio,
        clear->project_per_second, sealed->project_per_second, project_ratio);
    PrintBaseline(baseline);
    PrintAeadBaseline(aead);
    std::cout << fmt::format(
        "  append clear / signing limit = {:.0f}%\n"
        "  append sealed / signing limit = {:.0f}%; / signing + sealing limit ({:.0f}/s) = "
        "{:.0f}%\n"
        "  project clear / verification limit = {:.0f}%\n"
        "  project sealed / verification limit = {:.0f}%; / verification + opening limit "
        "({:.0f}/s) = {:.0f}%\n",
        100 * append_clear_to_limit, 100 * append_sealed_to_sign, append_sealed_limit,
        100 * append_sealed_to_limit, 100 * project_clear_to_limit, 100 * project_sealed_to_verify,
        project_sealed_limit, 100 * project_sealed_to_limit);
  }
  return clear->appended == commands.size() && sealed->appended == commands.size() ? kExitOk
                                                                                   : kExitError;
}

}  // namespace careledger::tools
