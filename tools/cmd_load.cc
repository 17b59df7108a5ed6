// careledger load: writes the synthetic audit workload (tools/load_generator.h)
// into the ledger, on a simulated clock that starts at the next UTC midnight
// and runs forward, and writes the planted cases' ground truth to a file.
#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "absl/time/clock.h"
#include "events/time_util.h"
#include "ledger/clock.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/load_runner.h"
#include "tools/output.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

struct LoadFlags {
  LoadOptions options;
  std::string plants_out;
  bool force = false;  // replace an existing --plants-out file
};

int RunLoad(const LoadFlags& flags, const Context& context) {
  // The file first: a path that cannot be written writes no load.
  std::unique_ptr<SafeFileWriter> plants_file;
  if (!flags.plants_out.empty()) {
    absl::StatusOr<std::unique_ptr<SafeFileWriter>> created =
        SafeFileWriter::Create(flags.plants_out, flags.force);
    if (!created.ok()) return ReportError(created.status(), context.json());
    plants_file = *std::move(created);
  }
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return ReportError(log.status(), context.json());
  absl::StatusOr<LoadReport> written = WriteLoad(context, log->get(), flags.options);
  if (!written.ok()) return ReportError(written.status(), context.json());
  const LoadReport& report = *written;
  nlohmann::json plants = nlohmann::json::array();
  for (const PlantedCase& plant : report.plants) {
    plants.push_back({{"rule", plant.rule},
                      {"user_id", plant.user_id},
                      {"nhs_number", plant.nhs_number},
                      {"at", absl::FormatTime(absl::RFC3339_sec, plant.at, absl::UTCTimeZone())}});
  }
  if (plants_file != nullptr) {
    plants_file->stream() << plants.dump(1) << "\n";
    if (absl::Status committed = plants_file->Commit(); !committed.ok()) {
      return ReportError(committed, context.json());
    }
  }
  const std::string from = absl::FormatTime(absl::RFC3339_sec, report.from, absl::UTCTimeZone());
  const std::string to = absl::FormatTime(absl::RFC3339_sec, report.to, absl::UTCTimeZone());
  if (context.json()) {
    PrintJson({{"commands", report.commands},
               {"applied", report.applied},
               {"rejected", report.rejected},
               {"duplicates", report.duplicates},
               {"access_records", report.access_records},
               {"planted", report.plants.size()},
               {"from", from},
               {"to", to},
               {"seconds", report.seconds}});
  } else {
    std::cout << fmt::format(
        "load: {} commands ({} applied, {} refused and recorded, {} repeats) from {} to {} "
        "(simulated) in {:.1f} s, {:.0f} commands/s; {} planted cases{}\n",
        report.commands, report.applied, report.rejected, report.duplicates, from, to,
        report.seconds, static_cast<double>(report.commands) / report.seconds, report.plants.size(),
        flags.plants_out.empty() ? "" : fmt::format(" written to {}", flags.plants_out));
  }
  return kExitOk;
}

}  // namespace

void RegisterLoad(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<LoadFlags>();
  CLI::App* load = app.add_subcommand(
      "load",
      "Write a synthetic audit workload: GP practices, patients' published plans, days of reads "
      "and edits on a simulated clock, and planted inappropriate accesses (one or more per "
      "investigation rule)");
  load->add_option("--practices", flags->options.practices, "GP practices")->capture_default_str();
  load->add_option("--patients", flags->options.patients, "Patients with a published plan")
      ->capture_default_str();
  load->add_option("--reads-per-day", flags->options.reads_per_day, "Background reads per day")
      ->capture_default_str();
  load->add_option("--days", flags->options.days, "Simulated days of activity")
      ->capture_default_str();
  load->add_option("--plants", flags->options.plants_per_rule, "Planted cases per rule")
      ->capture_default_str();
  load->add_option("--grain-minutes", flags->options.grain_minutes,
                   "Background activity's time grain (one group commit per grain)")
      ->capture_default_str();
  load->add_option("--seed", flags->options.seed, "Seed (the same seed, the same workload)")
      ->capture_default_str();
  load->add_option("--plants-out", flags->plants_out, "Write the planted cases (JSON) here");
  load->add_flag("--force", flags->force, "Replace the --plants-out file if it exists");
  load->callback([run, flags] {
    *run = [flags](const Context& context) { return RunLoad(*flags, context); };
  });
}

}  // namespace careledger::tools
