// careledger project: bring the projection up to date with the log, or follow
// it until interrupted.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <stop_token>
#include <thread>

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
};

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
               {"next_offsets", report.next_offsets},
               {"seconds", absl::ToDoubleSeconds(report.elapsed)},
               {"stops", stops}});
    return;
  }
  std::cout << fmt::format("Projected {} records from {} into {} in {:.2f} s\n",
                           report.records_applied, log, projection_dir,
                           absl::ToDoubleSeconds(report.elapsed));
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
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, options);
  if (!session.ok()) return ReportError(session.status(), context.json());
  projections::Projector& projector = (*session)->projector();
  const std::string& projection_dir = (*session)->projection_dir();
  const std::string log_description = (*session)->log_description();
  if (flags.follow) {
    std::cerr << fmt::format("Following {} into {} (Ctrl-C to stop)\n", log_description,
                             projection_dir);
    if (absl::Status followed = projector.Follow(stop->token(), std::chrono::milliseconds(200));
        !followed.ok()) {
      return ReportError(followed, context.json());
    }
    return kExitOk;
  }
  absl::StatusOr<projections::ProjectionReport> report = projector.CatchUp();
  if (!report.ok()) return ReportError(report.status(), context.json());
  PrintReport(*report, log_description, projection_dir, context.json());
  if (flags.fingerprint) {
    absl::StatusOr<events::Hash> fingerprint = (*session)->store().Fingerprint();
    if (!fingerprint.ok()) return ReportError(fingerprint.status(), context.json());
    std::cout << "fingerprint " << events::HashHex(*fingerprint) << "\n";
  }
  return report->stops.empty() ? kExitOk : kExitIntegrity;
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
  project->callback([run, flags] {
    *run = [flags](const Context& context) { return RunProject(*flags, context); };
  });
}

}  // namespace careledger::tools
