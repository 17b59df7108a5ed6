#include "tools/bench_startup.h"

#include <fmt/format.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "tools/bench_scratch.h"
#include "tools/ledger_init.h"
#include "tools/load_runner.h"

extern char** environ;

namespace careledger::tools {
namespace {

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"); 0 if absent.
std::uint64_t StatusKb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream value(line.substr(field.size() + 1));
      std::uint64_t kb = 0;
      value >> kb;
      return kb;
    }
  }
  return 0;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::StatusOr<StartupLogReport> BuildStartupLog(const Context& context, std::uint64_t records,
                                                 std::uint64_t tail, std::size_t patients) {
  absl::StatusOr<InitializedLedger> created = InitializeLedger(context);
  if (!created.ok()) return created.status();
  const LoadOptions load = BenchLoadOptions(records, patients);
  StartupLogReport report;
  const std::uint64_t snapshot_at = records > tail ? records - tail : 0;
  const auto began = std::chrono::steady_clock::now();
  absl::StatusOr<LoadReport> written =
      WriteLoad(context, created->log.get(), load,
                [&](ledger::Writer& writer, const LoadReport& so_far) -> absl::Status {
                  if (!report.snapshot_path.empty() || so_far.commands < snapshot_at) {
                    return absl::OkStatus();
                  }
                  absl::StatusOr<ledger::SnapshotTaken> taken = writer.Snapshot();
                  if (!taken.ok()) return taken.status();
                  report.snapshot_path = taken->path;
                  report.at_snapshot = so_far.commands;
                  return absl::OkStatus();
                });
  if (!written.ok()) return written.status();
  report.commands = written->commands;
  report.seconds = SecondsSince(began);
  if (report.snapshot_path.empty()) {
    // The load was smaller than asked: the snapshot at its end, no tail.
    absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(created->log.get());
    if (!writer.ok()) return writer.status();
    absl::StatusOr<ledger::SnapshotTaken> taken = (*writer)->Snapshot();
    if (!taken.ok()) return taken.status();
    report.snapshot_path = taken->path;
    report.at_snapshot = report.commands;
  }
  return report;
}

absl::StatusOr<RawReadReport> ReadWholeLogRaw(const Context& context) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return log.status();
  RawReadReport report;
  const auto began = std::chrono::steady_clock::now();
  if (absl::Status read = ReadWholeLog(**log,
                                       [&report](std::span<const events::LogRecord> records) {
                                         for (const events::LogRecord& record : records) {
                                           ++report.records;
                                           report.bytes += record.key.size() + record.value.size();
                                         }
                                         return absl::OkStatus();
                                       });
      !read.ok()) {
    return read;
  }
  report.seconds = SecondsSince(began);
  return report;
}

absl::StatusOr<StartupPhase> MeasureStartup(const Context& context, bool use_snapshot,
                                            int threads) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return log.status();
  absl::StatusOr<ledger::WriterOptions> bench_options = BenchWriterOptions(context, threads);
  if (!bench_options.ok()) return bench_options.status();
  ledger::WriterOptions options = *std::move(bench_options);
  options.checkpoint_interval = std::chrono::milliseconds(0);
  // The load's plan events are sealed: the writer opens them as it reads.
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = context.OpenDataKeys();
  if (!data_keys.ok()) return data_keys.status();
  options.data_keys = *std::move(data_keys);
  if (use_snapshot) {
    options.snapshot_dir = context.SnapshotDir();
    options.snapshot_name = context.SnapshotName();
  }
  StartupPhase phase;
  phase.rss_before_kb = StatusKb("VmRSS");
  phase.heap_before_kb = mallinfo2().uordblks / 1024;
  const auto began = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer =
      ledger::Writer::Open(log->get(), std::move(options));
  if (!writer.ok()) return writer.status();
  phase.seconds = SecondsSince(began);
  phase.rss_after_kb = StatusKb("VmRSS");
  phase.hwm_kb = StatusKb("VmHWM");
  phase.heap_after_kb = mallinfo2().uordblks / 1024;
  const ledger::RecoveryReport& recovery = (*writer)->recovery();
  phase.from_snapshot = recovery.from_snapshot;
  phase.records = recovery.records;
  phase.records_read = recovery.records_read;
  phase.snapshot_rejected = recovery.snapshot_rejected;
  return phase;
}

nlohmann::json StartupPhaseJson(const StartupPhase& phase) {
  return {{"from_snapshot", phase.from_snapshot},         {"records", phase.records},
          {"records_read", phase.records_read},           {"seconds", phase.seconds},
          {"snapshot_rejected", phase.snapshot_rejected}, {"rss_before_kb", phase.rss_before_kb},
          {"rss_after_kb", phase.rss_after_kb},           {"hwm_kb", phase.hwm_kb},
          {"heap_before_kb", phase.heap_before_kb},       {"heap_after_kb", phase.heap_after_kb}};
}

absl::StatusOr<StartupPhase> StartupPhaseFromJson(const std::string& text) {
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object() || !document.contains("hwm_kb")) {
    return absl::InternalError(fmt::format("the start-up phase printed no result: {}", text));
  }
  StartupPhase phase;
  phase.from_snapshot = document.value("from_snapshot", false);
  phase.records = document.value("records", std::uint64_t{0});
  phase.records_read = document.value("records_read", std::uint64_t{0});
  phase.seconds = document.value("seconds", 0.0);
  phase.snapshot_rejected = document.value("snapshot_rejected", std::string());
  phase.rss_before_kb = document.value("rss_before_kb", std::uint64_t{0});
  phase.rss_after_kb = document.value("rss_after_kb", std::uint64_t{0});
  phase.hwm_kb = document.value("hwm_kb", std::uint64_t{0});
  phase.heap_before_kb = document.value("heap_before_kb", std::uint64_t{0});
  phase.heap_after_kb = document.value("heap_after_kb", std::uint64_t{0});
  return phase;
}

absl::StatusOr<StartupPhase> MeasureStartupInChild(const Context& context, bool use_snapshot,
                                                   int threads) {
  const GlobalOptions& global = context.options();
  std::vector<std::string> args = {"careledger",
                                   "--data",
                                   global.data_dir,
                                   "--log",
                                   global.log,
                                   "--topic",
                                   global.topic,
                                   "--writer-id",
                                   global.writer_id,
                                   "bench",
                                   "startup-phase",
                                   "--mode",
                                   use_snapshot ? "snapshot" : "full",
                                   "--threads",
                                   std::to_string(threads)};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t child = 0;
  const int spawned =
      ::posix_spawn(&child, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    return absl::InternalError(fmt::format("could not start the start-up phase: {}", spawned));
  }
  std::string printed;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    printed.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(fmt::format("the start-up phase failed: {}", printed));
  }
  return StartupPhaseFromJson(printed);
}

}  // namespace careledger::tools
