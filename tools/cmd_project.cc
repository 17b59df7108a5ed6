// careledger project: bring the projection up to date with the log, or follow
// it until interrupted.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stop_token>
#include <thread>

#include "absl/strings/str_split.h"
#include "access/london_time.h"
#include "events/format.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

struct ProjectFlags {
  std::string projection_dir;  // default: Context::ProjectionDir()
  bool follow = false;
  bool rebuild = false;
  bool fingerprint = false;
  int threads = 0;
  // A replay of the log as it was (docs/governance.md, "Replay"): into a
  // fresh directory, to an instant and/or to per-partition offsets.
  std::string into;
  std::string until;          // London time (access/london_time.h)
  std::string until_offsets;  // "N0,N1,...": per partition, the first offset not applied
};

// "12,40,3,7" -> {12, 40, 3, 7}.
absl::StatusOr<std::vector<std::int64_t>> ParseOffsets(const std::string& text) {
  std::vector<std::int64_t> offsets;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::int64_t offset = -1;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), offset);
    if (error != std::errc() || end != part.data() + part.size() || offset < 0) {
      return absl::InvalidArgumentError(fmt::format(
          "--until-offsets '{}': expected one next offset per partition, e.g. 12,40,3,7", text));
    }
    offsets.push_back(offset);
  }
  return offsets;
}

// Checks a replay's flags and fills `options`: --into must name a new or
// empty directory that is not the live projection; --until and
// --until-offsets need --into, and no --follow, --rebuild or --projection-dir.
absl::Status ReplayOptions(const ProjectFlags& flags, const Context& context,
                           ProjectionSessionOptions* options) {
  const bool cut = !flags.until.empty() || !flags.until_offsets.empty();
  if (flags.into.empty()) {
    return cut ? absl::InvalidArgumentError(
                     "--until and --until-offsets build a replay: give it a new directory with "
                     "--into DIR (the live projection is never cut short)")
               : absl::OkStatus();
  }
  if (flags.follow || flags.rebuild || !flags.projection_dir.empty()) {
    return absl::InvalidArgumentError(
        "--into builds a fresh replay; it takes no --follow, --rebuild or --projection-dir");
  }
  std::error_code error;
  const auto live = std::filesystem::weakly_canonical(context.ProjectionDir(), error);
  const auto into = std::filesystem::weakly_canonical(flags.into, error);
  if (error || into == live) {
    return absl::InvalidArgumentError(fmt::format(
        "--into {} is the live projection; a replay goes into a new directory", flags.into));
  }
  if (std::filesystem::exists(into, error) &&
      (!std::filesystem::is_directory(into, error) || !std::filesystem::is_empty(into, error))) {
    return absl::InvalidArgumentError(
        fmt::format("--into {} exists and is not an empty directory; a replay goes into a new one",
                    flags.into));
  }
  options->projection_dir = flags.into;
  if (!flags.until.empty()) {
    absl::StatusOr<absl::Time> until = access::ParseLondonTime(flags.until);
    if (!until.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--until: {}", std::string(until.status().message())));
    }
    options->until = *until;
  }
  if (!flags.until_offsets.empty()) {
    absl::StatusOr<std::vector<std::int64_t>> offsets = ParseOffsets(flags.until_offsets);
    if (!offsets.ok()) return offsets.status();
    options->end_offsets = *std::move(offsets);
  }
  return absl::OkStatus();
}

// Blocks SIGINT and SIGTERM in this thread (and so in every thread it starts)
// and turns them into a stop request from a watcher thread.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    watcher_ = std::jthread([this](std::stop_token) {
      int received = 0;
      sigwait(&signals_, &received);
      source_.request_stop();
    });
  }
  ~StopOnSignal() {
    if (!source_.stop_requested()) {
      source_.request_stop();
      pthread_kill(watcher_.native_handle(), SIGTERM);  // wake sigwait
    }
  }
  std::stop_token token() const { return source_.get_token(); }

 private:
  sigset_t signals_;
  std::stop_source source_;
  std::jthread watcher_;
};

void PrintReport(const projections::ProjectionReport& report, const std::string& log,
                 const std::string& projection_dir, bool json) {
  if (json) {
    nlohmann::json stops = nlohmann::json::array();
    for (const projections::PartitionStop& stop : report.stops) {
      stops.push_back({{"partition", stop.partition},
                       {"offset", stop.offset},
                       {"stream", stop.stream_id},
                       {"failure", std::string(stop.KindName())},
                       {"reason", stop.reason}});
    }
    PrintJson({{"log", log},
               {"projection", projection_dir},
               {"records_applied", report.records_applied},
               {"records_erased", report.records_erased},
               {"next_offsets", report.next_offsets},
               {"seconds", absl::ToDoubleSeconds(report.elapsed)},
               {"stops", stops}});
    return;
  }
  std::cout << fmt::format("Projected {} records from {} into {} in {:.2f} s\n",
                           report.records_applied, log, projection_dir,
                           absl::ToDoubleSeconds(report.elapsed));
  if (report.records_erased > 0) {
    std::cout << fmt::format(
        "  {} of them erased content (patients erased: their data keys were destroyed)\n",
        report.records_erased);
  }
  for (const projections::PartitionStop& stop : report.stops) {
    std::cout << "INTEGRITY FAILURE: partition stopped: " << stop.reason << "\n";
  }
}

int RunProject(const ProjectFlags& flags, const Context& context) {
  // Before any thread starts (RocksDB's, the worker pool's): every thread must
  // inherit the blocked signals so that only the watcher receives them.
  std::optional<StopOnSignal> stop;
  if (flags.follow) stop.emplace();
  ProjectionSessionOptions options;
  options.projection_dir = flags.projection_dir;
  options.rebuild = flags.rebuild;
  options.verify_threads = flags.threads;
  if (absl::Status replay = ReplayOptions(flags, context, &options); !replay.ok()) {
    return ReportError(replay, context.json());
  }
  if (flags.follow) {
    absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
        ProjectionSession::Open(context, options);
    if (!session.ok()) return ReportError(session.status(), context.json());
    std::cerr << fmt::format("Following {} into {} (Ctrl-C to stop)\n",
                             (*session)->log_description(), (*session)->projection_dir());
    if (absl::Status followed =
            (*session)->projector().Follow(stop->token(), std::chrono::milliseconds(200));
        !followed.ok()) {
      return ReportError(followed, context.json());
    }
    return kExitOk;
  }
  absl::StatusOr<ProjectOnceResult> run = ProjectOnce(context, options, flags.fingerprint);
  if (!run.ok()) return ReportError(run.status(), context.json());
  const projections::ProjectionReport& report = run->report;
  PrintReport(report, run->log_description, run->projection_dir, context.json());
  if (!flags.into.empty() && !context.json()) {
    std::cout << fmt::format(
        "replay{}: next offsets {} (rebuild to this position with "
        "--until-offsets {})\n",
        flags.until.empty() ? std::string()
                            : fmt::format(" as of {}", access::FormatLondonTime(options.until)),
        fmt::join(report.next_offsets, ","), fmt::join(report.next_offsets, ","));
  }
  if (run->fingerprint) std::cout << "fingerprint " << events::HashHex(*run->fingerprint) << "\n";
  return report.stops.empty() ? kExitOk : kExitIntegrity;
}

}  // namespace

void RegisterProject(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<ProjectFlags>();
  CLI::App* project = app.add_subcommand(
      "project",
      "Verify and apply new log records to the projection until caught up (or --follow). A "
      "record that fails verification stops its partition: exit 4");
  project->add_flag("--follow", flags->follow, "Keep applying new records until interrupted");
  project->add_flag("--rebuild", flags->rebuild,
                    "Delete the projection first and replay the whole log");
  project->add_flag("--fingerprint", flags->fingerprint,
                    "Print the SHA-256 over the whole projection (equal after a clean rebuild)");
  project->add_option("--projection-dir", flags->projection_dir,
                      "Projection directory (default: <data>/projection/<log>)");
  project->add_option("--threads", flags->threads, "Verification threads (0 = all cores)");
  project->add_option("--into", flags->into,
                      "Build a fresh, complete projection in this new (or empty) directory, "
                      "leaving the live one untouched; query it with --projection DIR");
  project->add_option("--until", flags->until,
                      "With --into: only the records recorded at or before this instant, London "
                      "time (2026-06-15T13:00, or with an offset ...+01:00 / ...Z); each partition "
                      "is cut at its own first record after it");
  project->add_option("--until-offsets", flags->until_offsets,
                      "With --into: per partition, the first offset not to apply (N0,N1,...), as "
                      "a replay reports in next_offsets: a rebuild to exactly that position");
  project->callback([run, flags] {
    *run = [flags](const Context& context) { return RunProject(*flags, context); };
  });
}

}  // namespace careledger::tools
