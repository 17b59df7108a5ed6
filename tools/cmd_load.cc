// careledger load: writes the synthetic audit workload (tools/load_generator.h)
// into the ledger, on a simulated clock that starts at the next UTC midnight
// and runs forward, and writes the planted cases' ground truth to a file.
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "absl/time/clock.h"
#include "events/time_util.h"
#include "ledger/clock.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/load_generator.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

struct LoadFlags {
  LoadOptions options;
  std::string plants_out;
};

int RunLoad(const LoadFlags& flags, const Context& context) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
  if (!log.ok()) return ReportError(log.status(), context.json());
  const absl::Time start = absl::FromCivil(
      absl::CivilDay(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())) + 1, absl::UTCTimeZone());
  ledger::ManualClock clock(start);
  absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get(), &clock);
  if (!writer.ok()) return ReportError(writer.status(), context.json());

  const Load load = GenerateLoad(flags.options, start);
  std::size_t applied = 0, rejected = 0, duplicates = 0;
  const auto began = std::chrono::steady_clock::now();
  for (const LoadSlice& slice : load.slices) {
    clock.Advance(slice.at - clock.Now());
    for (const auto& result : (*writer)->SubmitAll(slice.commands)) {
      if (!result.ok()) return ReportError(result.status(), context.json());
      switch (result->outcome()) {
        case careledger::v1::OUTCOME_APPLIED:
          ++applied;
          break;
        case careledger::v1::OUTCOME_REJECTED:
          ++rejected;
          break;
        default:
          ++duplicates;
          break;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  nlohmann::json plants = nlohmann::json::array();
  for (const PlantedCase& plant : load.plants) {
    plants.push_back({{"rule", plant.rule},
                      {"user_id", plant.user_id},
                      {"nhs_number", plant.nhs_number},
                      {"at", absl::FormatTime(absl::RFC3339_sec, plant.at, absl::UTCTimeZone())}});
  }
  if (!flags.plants_out.empty()) {
    std::ofstream out(flags.plants_out);
    out << plants.dump(1) << "\n";
    if (!out) {
      return ReportError(absl::UnavailableError(fmt::format("cannot write {}", flags.plants_out)),
                         context.json());
    }
  }
  const std::string from = absl::FormatTime(absl::RFC3339_sec, start, absl::UTCTimeZone());
  const std::string to = absl::FormatTime(absl::RFC3339_sec, clock.Now(), absl::UTCTimeZone());
  if (context.json()) {
    PrintJson({{"commands", load.commands},
               {"applied", applied},
               {"rejected", rejected},
               {"duplicates", duplicates},
               {"planted", load.plants.size()},
               {"from", from},
               {"to", to},
               {"seconds", seconds}});
  } else {
    std::cout << fmt::format(
        "load: {} commands ({} applied, {} refused and recorded, {} repeats) from {} to {} "
        "(simulated) in {:.1f} s, {:.0f} commands/s; {} planted cases{}\n",
        load.commands, applied, rejected, duplicates, from, to, seconds,
        static_cast<double>(load.commands) / seconds, load.plants.size(),
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
  load->add_option("--seed", flags->options.seed, "Seed (the same seed, the same workload)")
      ->capture_default_str();
  load->add_option("--plants-out", flags->plants_out, "Write the planted cases (JSON) here");
  load->callback([run, flags] {
    *run = [flags](const Context& context) { return RunLoad(*flags, context); };
  });
}

}  // namespace careledger::tools
