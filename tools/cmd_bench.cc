// careledger bench: throughput of append, projection, sealing and replay, each
// printed next to the machine's own limits (Ed25519, AES-256-GCM) measured in
// the same run, as ratios; and writer start-up (whole read vs snapshot) next
// to the raw log read rate.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

#include "access/london_time.h"
#include "events/format.h"
#include "events/ids.h"
#include "events/parallel.h"
#include "ledger/dates.h"
#include "tools/bench_audit.h"
#include "tools/bench_projection.h"
#include "tools/bench_replay.h"
#include "tools/bench_scratch.h"
#include "tools/bench_seal.h"
#include "tools/bench_startup.h"
#include "tools/commands.h"
#include "tools/crypto_baseline.h"
#include "tools/exit_codes.h"
#include "tools/ledger_init.h"
#include "tools/output.h"
#include "tools/synthetic.h"

namespace careledger::tools {
namespace {

struct BenchFlags {
  std::size_t events = 200'000;
  std::size_t patients = 10'000;
  std::size_t batch = 1024;
  int threads = 0;  // 0 = all cores
  bool keep = false;
};

int Threads(const BenchFlags& flags) {
  return flags.threads > 0 ? flags.threads : events::HardwareThreads();
}

int RunBenchAppend(const BenchFlags& flags, const Context& context) {
  const int threads = Threads(flags);
  auto scratch = MakeScratch(context, flags.keep);
  Context bench_context(scratch->options);
  absl::StatusOr<InitializedLedger> created = InitializeLedger(bench_context);
  if (!created.ok()) return ReportError(created.status(), context.json());
  std::unique_ptr<ledger::Log>* log = &created->log;
  absl::StatusOr<ledger::WriterOptions> bench_options = BenchWriterOptions(bench_context, threads);
  if (!bench_options.ok()) return ReportError(bench_options.status(), context.json());
  ledger::WriterOptions writer_options = *std::move(bench_options);
  writer_options.max_batch = flags.batch;
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer =
      ledger::Writer::Open(log->get(), std::move(writer_options));
  if (!writer.ok()) return ReportError(writer.status(), context.json());

  const std::vector<careledger::v1::Command> commands =
      SyntheticPlanCommands(flags.events, flags.patients, ledger::Today(absl::Now()));
  const auto start = std::chrono::steady_clock::now();
  std::size_t applied = 0;
  for (const auto& result : (*writer)->SubmitAll(commands)) {
    if (!result.ok()) return ReportError(result.status(), context.json());
    if (result->outcome() == careledger::v1::OUTCOME_APPLIED) ++applied;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  writer->reset();
  const double rate = static_cast<double>(applied) / seconds;

  const CryptoBaseline baseline = MeasureCryptoBaseline(threads);
  const double ratio = rate / baseline.sign_per_second;
  if (context.json()) {
    PrintJson({{"benchmark", "append"},
               {"log", (*log)->Describe()},
               {"events", applied},
               {"patients", flags.patients},
               {"batch", flags.batch},
               {"seconds", seconds},
               {"events_per_second", rate},
               {"baseline", BaselineJson(baseline)},
               {"ratio_to_sign_limit", ratio}});
  } else {
    std::cout << fmt::format(
        "bench append: {} events over {} patients into {} (batch {}, {} signing threads)\n"
        "  {:.2f} s, {:.0f} events/s\n",
        applied, flags.patients, (*log)->Describe(), flags.batch, threads, seconds, rate);
    PrintBaseline(baseline);
    std::cout << fmt::format("  append / signing limit on {} threads = {:.0f}%\n", threads,
                             100 * ratio);
  }
  return applied == commands.size() ? kExitOk : kExitError;
}

int RunBenchProject(const BenchFlags& flags, const Context& context) {
  const int threads = Threads(flags);
  auto scratch = MakeScratch(context, flags.keep);
  Context bench_context(scratch->options);
  absl::StatusOr<ProjectionBenchResult> result =
      BenchProjection(bench_context, flags.events, flags.patients, threads);
  if (!result.ok()) return ReportError(result.status(), context.json());
  const CryptoBaseline baseline = MeasureCryptoBaseline(threads);
  const double rate = static_cast<double>(result->records) / result->seconds;
  const double ratio = rate / baseline.verify_per_second;
  if (context.json()) {
    PrintJson({{"benchmark", "project"},
               {"log", result->log},
               {"records", result->records},
               {"seconds", result->seconds},
               {"records_per_second", rate},
               {"baseline", BaselineJson(baseline)},
               {"ratio_to_verify_limit", ratio}});
  } else {
    std::cout << fmt::format(
        "bench project: {} records from {} verified and applied ({} verify threads)\n"
        "  {:.2f} s, {:.0f} records/s\n",
        result->records, result->log, threads, result->seconds, rate);
    PrintBaseline(baseline);
    std::cout << fmt::format("  projection / verification limit on {} threads = {:.0f}%\n", threads,
                             100 * ratio);
  }
  return kExitOk;
}

struct AuditBenchFlags {
  LoadOptions load;
  std::size_t queries = 1000;
  int threads = 0;
  bool keep = false;
};

int RunBenchAudit(const AuditBenchFlags& flags, const Context& context) {
  const int threads = flags.threads > 0 ? flags.threads : events::HardwareThreads();
  auto scratch = MakeScratch(context, flags.keep);
  Context bench_context(scratch->options);
  absl::StatusOr<AuditBenchResult> result =
      BenchAudit(bench_context, flags.load, flags.queries, threads);
  if (!result.ok()) return ReportError(result.status(), context.json());
  const CryptoBaseline baseline = MeasureCryptoBaseline(threads);
  const double rate = static_cast<double>(result->records) / result->project_seconds;
  const double ratio = rate / baseline.verify_per_second;
  const auto latency_json = [](const Latency& latency) {
    return nlohmann::json{{"p50_ms", latency.p50_ms},
                          {"p99_ms", latency.p99_ms},
                          {"mean_entries", latency.mean_entries}};
  };
  if (context.json()) {
    PrintJson({{"benchmark", "audit"},
               {"log", result->log},
               {"commands", result->commands},
               {"access_records", result->access_records},
               {"write_seconds", result->write_seconds},
               {"records", result->records},
               {"project_seconds", result->project_seconds},
               {"records_per_second", rate},
               {"patient_history", latency_json(result->patient_history)},
               {"user_activity", latency_json(result->user_activity)},
               {"queries", flags.queries},
               {"baseline", BaselineJson(baseline)},
               {"ratio_to_verify_limit", ratio}});
    return kExitOk;
  }
  std::cout << fmt::format(
      "bench audit: {} commands written to {} in {:.1f} s (simulated clock; not timed here)\n"
      "  {} access records among them (reads, refusals)\n"
      "  projection of {} records (audit trail and every other projection): {:.1f} s, "
      "{:.0f} records/s\n"
      "  patient history, first page:  p50 {:.2f} ms, p99 {:.2f} ms ({:.1f} entries a page, {} "
      "queries)\n"
      "  user activity, first page:    p50 {:.2f} ms, p99 {:.2f} ms ({:.1f} entries a page, {} "
      "queries)\n",
      result->commands, result->log, result->write_seconds, result->access_records, result->records,
      result->project_seconds, rate, result->patient_history.p50_ms, result->patient_history.p99_ms,
      result->patient_history.mean_entries, flags.queries, result->user_activity.p50_ms,
      result->user_activity.p99_ms, result->user_activity.mean_entries, flags.queries);
  PrintBaseline(baseline);
  std::cout << fmt::format("  projection / verification limit on {} threads = {:.0f}%\n", threads,
                           100 * ratio);
  return kExitOk;
}

void RegisterBenchAudit(CLI::App* bench, Runner* run) {
  auto flags = std::make_shared<AuditBenchFlags>();
  flags->load.grain_minutes = 60;
  CLI::App* audit = bench->add_subcommand(
      "audit",
      "The audit trail at scale: writes a `careledger load` workload, times its projection "
      "and then audit queries (a patient's history, a user's activity: p50, p99)");
  audit->add_option("--practices", flags->load.practices, "GP practices")->capture_default_str();
  audit->add_option("--patients", flags->load.patients, "Patients")->capture_default_str();
  audit->add_option("--reads-per-day", flags->load.reads_per_day, "Background reads per day")
      ->capture_default_str();
  audit->add_option("--days", flags->load.days, "Simulated days")->capture_default_str();
  audit
      ->add_option("--grain-minutes", flags->load.grain_minutes,
                   "Time grain of background activity (one group commit per grain)")
      ->capture_default_str();
  audit->add_option("--queries", flags->queries, "Queries of each kind")->capture_default_str();
  audit->add_option("--threads", flags->threads, "Verify threads (0 = all cores)")
      ->capture_default_str();
  audit->add_flag("--keep", flags->keep, "Keep the scratch data directory");
  audit->callback([run, flags] {
    *run = [flags](const Context& context) { return RunBenchAudit(*flags, context); };
  });
}

// The `careledger load` log that bench startup and bench replay measure (the
// same log, BuildStartupLog): written anew, or one a `--keep` left, reused.
struct LoadLogFlags {
  std::uint64_t records = 10'000'000;
  std::size_t patients = 0;
  std::string reuse;  // a data directory a `bench startup --keep` or `bench replay --keep` left
  int threads = 0;
  bool keep = false;
};

void AddLoadLogFlags(CLI::App* command, LoadLogFlags* flags) {
  command->add_option("--records", flags->records, "About how many records the log holds")
      ->capture_default_str();
  command
      ->add_option("--patients", flags->patients,
                   "Patients with a plan (0 = one per 200 records, 100 to 50,000)")
      ->capture_default_str();
  command->add_option("--reuse", flags->reuse,
                      "Measure this data directory (left by `bench startup --keep` or `bench "
                      "replay --keep`: the same log) instead of writing a new log");
  command->add_option("--threads", flags->threads, "Threads (0 = all cores)")
      ->capture_default_str();
  command->add_flag("--keep", flags->keep, "Keep the scratch data directory (for --reuse)");
}

struct StartupBenchFlags : LoadLogFlags {
  std::uint64_t tail = 10'000;
  std::string mode;  // startup-phase: "full" or "snapshot"
};

double Mb(std::uint64_t kb) { return static_cast<double>(kb) / 1024.0; }

int RunBenchStartup(const StartupBenchFlags& flags, const Context& context) {
  const int threads = flags.threads > 0 ? flags.threads : events::HardwareThreads();
  const BenchLedger ledger = ScratchOrReuse(context, flags.reuse, flags.keep);
  const GlobalOptions& options = ledger.options;
  std::optional<StartupLogReport> built;
  if (ledger.fresh) {
    absl::StatusOr<StartupLogReport> report =
        BuildStartupLog(Context(options), flags.records, flags.tail, flags.patients);
    if (!report.ok()) return ReportError(report.status(), context.json());
    built = *report;
  }
  const Context bench_context(options);
  absl::StatusOr<RawReadReport> raw = ReadWholeLogRaw(bench_context);
  if (!raw.ok()) return ReportError(raw.status(), context.json());
  absl::StatusOr<StartupPhase> full = MeasureStartupInChild(bench_context, false, threads);
  if (!full.ok()) return ReportError(full.status(), context.json());
  absl::StatusOr<StartupPhase> resumed = MeasureStartupInChild(bench_context, true, threads);
  if (!resumed.ok()) return ReportError(resumed.status(), context.json());
  const double raw_rate = static_cast<double>(raw->records) / raw->seconds;
  const double full_rate = static_cast<double>(full->records_read) / full->seconds;
  if (context.json()) {
    nlohmann::json document{{"benchmark", "startup"},
                            {"data_dir", options.data_dir},
                            {"threads", threads},
                            {"raw_read",
                             {{"records", raw->records},
                              {"bytes", raw->bytes},
                              {"seconds", raw->seconds},
                              {"records_per_second", raw_rate}}},
                            {"full", StartupPhaseJson(*full)},
                            {"snapshot", StartupPhaseJson(*resumed)},
                            {"full_to_raw_read", full->seconds / raw->seconds},
                            {"snapshot_to_full", resumed->seconds / full->seconds}};
    if (built) {
      document["load"] = {{"commands", built->commands},
                          {"commands_at_snapshot", built->at_snapshot},
                          {"seconds", built->seconds},
                          {"snapshot", built->snapshot_path}};
    }
    PrintJson(document);
  } else {
    std::cout << fmt::format("bench startup: {} records in {}{}\n", full->records, options.data_dir,
                             flags.keep ? " (kept)" : "");
    if (built) {
      std::cout << fmt::format(
          "  written by `careledger load` in {:.1f} s (untimed below); snapshot after {} of {} "
          "commands\n",
          built->seconds, built->at_snapshot, built->commands);
    }
    std::cout << fmt::format(
        "machine limit (this run): raw log read, nothing parsed: {:.2f} s, {:.0f} records/s, "
        "{:.0f} MB/s\n",
        raw->seconds, raw_rate, static_cast<double>(raw->bytes) / raw->seconds / 1e6);
    const auto print = [](const char* name, const StartupPhase& phase) {
      const double heap_kb =
          static_cast<double>(phase.heap_after_kb) - static_cast<double>(phase.heap_before_kb);
      std::cout << fmt::format(
          "  {:<14} {:>8.2f} s, {:>10} records read{}\n"
          "  {:<14} heap in use +{:.0f} MB ({:.0f} B/record); VmRSS {:.0f} -> {:.0f} MB, "
          "VmHWM {:.0f} MB\n",
          name, phase.seconds, phase.records_read, phase.from_snapshot ? "" : " (whole log)", "",
          heap_kb / 1024,
          1024 * heap_kb / static_cast<double>(std::max<std::uint64_t>(1, phase.records)),
          Mb(phase.rss_before_kb), Mb(phase.rss_after_kb), Mb(phase.hwm_kb));
    };
    print("full read:", *full);
    print("from snapshot:", *resumed);
    std::cout << fmt::format(
        "  full read / raw read = {:.1f}x ({:.0f} records/s); snapshot start-up / full read = "
        "{:.1f}%\n",
        full->seconds / raw->seconds, full_rate, 100 * resumed->seconds / full->seconds);
    if (!resumed->from_snapshot) {
      std::cout << "  the snapshot was NOT used: " << resumed->snapshot_rejected << "\n";
    }
  }
  return resumed->from_snapshot ? kExitOk : kExitError;
}

void RegisterBenchStartup(CLI::App* bench, Runner* run) {
  auto flags = std::make_shared<StartupBenchFlags>();
  CLI::App* startup = bench->add_subcommand(
      "startup",
      "Writer start-up on a large log: reading the whole log vs loading the writer snapshot and "
      "reading the tail (seconds, records read, resident memory), next to the raw log read rate");
  AddLoadLogFlags(startup, flags.get());
  startup->add_option("--tail", flags->tail, "About how many commands follow the snapshot")
      ->capture_default_str();
  startup->callback([run, flags] {
    *run = [flags](const Context& context) { return RunBenchStartup(*flags, context); };
  });
  // One start-up in a process of its own (run by `bench startup`).
  CLI::App* phase = bench->add_subcommand("startup-phase", "");
  phase->group("");
  phase->add_option("--mode", flags->mode)->required()->check(CLI::IsMember({"full", "snapshot"}));
  phase->add_option("--threads", flags->threads);
  phase->callback([run, flags] {
    *run = [flags](const Context& context) {
      const int threads = flags->threads > 0 ? flags->threads : events::HardwareThreads();
      absl::StatusOr<StartupPhase> measured =
          MeasureStartup(context, flags->mode == "snapshot", threads);
      if (!measured.ok()) return ReportError(measured.status(), true);
      PrintJson(StartupPhaseJson(*measured));
      return static_cast<int>(kExitOk);
    };
  });
}

struct ReplayBenchFlags : LoadLogFlags {
  bool no_fingerprint = false;
};

struct TimedReplay {
  const char* name;
  absl::Time until;
  ProjectOnceResult result;
};

nlohmann::json ReplayJson(const TimedReplay& replay, double verify_per_second) {
  const projections::ProjectionReport& report = replay.result.report;
  const double seconds = absl::ToDoubleSeconds(report.elapsed);
  const double rate = static_cast<double>(report.records_applied) / seconds;
  nlohmann::json document{
      {"to", replay.name},
      {"until", access::FormatLondonTime(replay.until)},
      {"until_utc", absl::FormatTime(absl::RFC3339_full, replay.until, absl::UTCTimeZone())},
      {"records_applied", report.records_applied},
      {"next_offsets", report.next_offsets},
      {"stops", report.stops.size()},
      {"seconds", seconds},
      {"records_per_second", rate},
      {"ratio_to_verify_limit", rate / verify_per_second}};
  if (replay.result.fingerprint) {
    document["fingerprint"] = events::HashHex(*replay.result.fingerprint);
    document["fingerprint_seconds"] = replay.result.fingerprint_seconds;
  }
  return document;
}

int RunBenchReplay(const ReplayBenchFlags& flags, const Context& context) {
  const int threads = flags.threads > 0 ? flags.threads : events::HardwareThreads();
  const BenchLedger ledger = ScratchOrReuse(context, flags.reuse, flags.keep);
  std::optional<StartupLogReport> built;
  if (ledger.fresh) {
    // The start-up benchmark's log (a writer snapshot near its end, unused
    // here), so a kept directory serves either benchmark's --reuse.
    absl::StatusOr<StartupLogReport> report =
        BuildStartupLog(Context(ledger.options), flags.records, /*tail=*/0, flags.patients);
    if (!report.ok()) return ReportError(report.status(), context.json());
    built = *report;
  }
  const Context bench_context(ledger.options);
  absl::StatusOr<LogTimes> times = ScanLogTimes(bench_context);
  if (!times.ok()) return ReportError(times.status(), context.json());
  // Each replay into a new directory beside the log, removed once measured.
  const std::filesystem::path replays =
      std::filesystem::path(ledger.options.data_dir) /
      fmt::format("bench-replay-{}", events::RandomUuid().substr(0, 8));
  // A directory that outlives the run (--keep, --reuse) and has no
  // projection keeps the replay to the end as its projection: a replay to
  // the last record equals the live projection rebuilt (docs/governance.md),
  // so `careledger serve` on it serves the whole workload at once.
  const bool outlives = flags.keep || !flags.reuse.empty();
  const std::filesystem::path projection = bench_context.ProjectionDir();
  std::string kept_projection;
  std::vector<TimedReplay> measured;
  for (const auto& [name, until] :
       {std::pair{"halfway", times->middle}, std::pair{"end", times->last}}) {
    const std::filesystem::path into = replays / name;
    std::error_code ignored;
    std::filesystem::create_directories(into, ignored);
    absl::StatusOr<ProjectOnceResult> result =
        Replay(bench_context, until, into.string(), threads, !flags.no_fingerprint);
    if (result.ok() && result->report.stops.empty() && outlives &&
        std::string_view(name) == "end" && !std::filesystem::exists(projection)) {
      std::filesystem::create_directories(projection.parent_path(), ignored);
      std::filesystem::rename(into, projection, ignored);
      if (!ignored) kept_projection = projection.string();
    }
    std::filesystem::remove_all(replays, ignored);
    if (!result.ok()) return ReportError(result.status(), context.json());
    measured.push_back({name, until, *std::move(result)});
  }
  const CryptoBaseline baseline = MeasureCryptoBaseline(threads);
  bool stopped = false;
  for (const TimedReplay& replay : measured) stopped |= !replay.result.report.stops.empty();
  if (context.json()) {
    nlohmann::json document{{"benchmark", "replay"},
                            {"log", measured.front().result.log_description},
                            {"data_dir", ledger.options.data_dir},
                            {"threads", threads},
                            {"records", times->records},
                            {"first", access::FormatLondonTime(times->first)},
                            {"last", access::FormatLondonTime(times->last)},
                            {"time_scan_seconds", times->seconds},
                            {"replays", nlohmann::json::array()},
                            {"baseline", BaselineJson(baseline)}};
    for (const TimedReplay& replay : measured) {
      document["replays"].push_back(ReplayJson(replay, baseline.verify_per_second));
    }
    if (built) document["load"] = {{"commands", built->commands}, {"seconds", built->seconds}};
    if (!kept_projection.empty()) document["kept_projection"] = kept_projection;
    PrintJson(document);
    return stopped ? kExitIntegrity : kExitOk;
  }
  std::cout << fmt::format("bench replay: {} records in {}{}\n", times->records,
                           ledger.options.data_dir, flags.keep ? " (kept)" : "");
  if (built) {
    std::cout << fmt::format("  written by `careledger load` in {:.1f} s (untimed below)\n",
                             built->seconds);
  }
  std::cout << fmt::format("  recorded from {} to {} (one pass to find out: {:.1f} s, untimed)\n",
                           access::FormatLondonTime(times->first),
                           access::FormatLondonTime(times->last), times->seconds);
  for (const TimedReplay& replay : measured) {
    const projections::ProjectionReport& report = replay.result.report;
    const double seconds = absl::ToDoubleSeconds(report.elapsed);
    const double rate = static_cast<double>(report.records_applied) / seconds;
    std::cout << fmt::format(
        "  project --until {} ({}): {} records applied in {:.2f} s, {:.0f} records/s = {:.0f}% "
        "of the verification limit on {} threads\n",
        access::FormatLondonTime(replay.until), replay.name, report.records_applied, seconds, rate,
        100 * rate / baseline.verify_per_second, threads);
    if (replay.result.fingerprint) {
      std::cout << fmt::format("    fingerprint {} ({:.1f} s, untimed)\n",
                               events::HashHex(*replay.result.fingerprint),
                               replay.result.fingerprint_seconds);
    }
    for (const projections::PartitionStop& stop : report.stops) {
      std::cout << "    INTEGRITY FAILURE: partition stopped: " << stop.reason << "\n";
    }
  }
  PrintBaseline(baseline);
  if (!kept_projection.empty()) {
    std::cout << fmt::format("  the replay to the end is kept as the projection {}\n",
                             kept_projection);
  }
  return stopped ? kExitIntegrity : kExitOk;
}

void RegisterBenchReplay(CLI::App* bench, Runner* run) {
  auto flags = std::make_shared<ReplayBenchFlags>();
  CLI::App* replay = bench->add_subcommand(
      "replay",
      "`careledger project --until TIME --into DIR` on a `careledger load` log: a replay to about "
      "halfway and one to the end (records/s), next to Ed25519 verification");
  AddLoadLogFlags(replay, flags.get());
  replay->add_flag("--no-fingerprint", flags->no_fingerprint,
                   "Do not fingerprint each replay (a SHA-256 over the whole projection)");
  replay->callback([run, flags] {
    *run = [flags](const Context& context) { return RunBenchReplay(*flags, context); };
  });
}

}  // namespace

void RegisterBench(CLI::App& app, Runner* run) {
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Benchmarks on a fresh scratch ledger (temporary directory; new topic on Kafka), "
      "reported next to this machine's Ed25519 limits");
  bench->require_subcommand(1);
  auto flags = std::make_shared<BenchFlags>();
  auto add_common = [flags](CLI::App* command) {
    command->add_option("--events", flags->events, "Events to write")->capture_default_str();
    command->add_option("--patients", flags->patients, "Distinct patients (streams)")
        ->capture_default_str();
    command->add_option("--threads", flags->threads, "Crypto threads (0 = all cores)")
        ->capture_default_str();
    command->add_flag("--keep", flags->keep, "Keep the scratch data directory");
  };
  CLI::App* append = bench->add_subcommand("append", "Commands decided, signed and appended");
  add_common(append);
  append->add_option("--batch", flags->batch, "Most commands per group commit")
      ->capture_default_str();
  append->callback([run, flags] {
    *run = [flags](const Context& context) { return RunBenchAppend(*flags, context); };
  });
  CLI::App* project = bench->add_subcommand(
      "project", "Records verified and applied to a fresh projection (log written untimed)");
  add_common(project);
  project->callback([run, flags] {
    *run = [flags](const Context& context) { return RunBenchProject(*flags, context); };
  });
  auto seal_flags = std::make_shared<SealBenchFlags>();
  CLI::App* seal = bench->add_subcommand(
      "seal",
      "What sealing plan events costs: append and projection rates written in clear and sealed "
      "(envelope version 2), same commands, same run, as ratios to each other and to the "
      "machine's Ed25519 and AES-256-GCM limits");
  seal->add_option("--events", seal_flags->events, "Events to write")->capture_default_str();
  seal->add_option("--patients", seal_flags->patients, "Distinct patients (streams)")
      ->capture_default_str();
  seal->add_option("--threads", seal_flags->threads, "Crypto threads (0 = all cores)")
      ->capture_default_str();
  seal->callback([run, seal_flags] {
    *run = [seal_flags](const Context& context) { return RunBenchSeal(*seal_flags, context); };
  });
  RegisterBenchAudit(bench, run);
  RegisterBenchStartup(bench, run);
  RegisterBenchReplay(bench, run);
  CLI::App* crypto = bench->add_subcommand("crypto", "Only the machine's Ed25519 limits");
  crypto->add_option("--threads", flags->threads, "Threads (0 = all cores)");
  crypto->callback([run, flags] {
    *run = [flags](const Context& context) {
      const CryptoBaseline baseline = MeasureCryptoBaseline(Threads(*flags));
      if (context.json()) {
        PrintJson(BaselineJson(baseline));
      } else {
        PrintBaseline(baseline);
      }
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace careledger::tools
