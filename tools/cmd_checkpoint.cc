// careledger checkpoint: append a signed checkpoint to every partition now.
#include <fmt/format.h>

#include <iostream>

#include "events/parallel.h"
#include "ledger/log_scan.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/kept_checkpoints.h"
#include "tools/output.h"

namespace careledger::tools {

void RegisterCheckpoint(CLI::App& app, Runner* run) {
  CLI::App* checkpoint = app.add_subcommand(
      "checkpoint",
      "Append a signed checkpoint (last offset and running SHA-256) to every partition; keep "
      "its output to prove later that no tail was cut or rewritten");
  checkpoint->callback([run] {
    *run = [](const Context& context) {
      absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
      if (!log.ok()) return ReportError(log.status(), context.json());
      absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get());
      if (!writer.ok()) return ReportError(writer.status(), context.json());
      if (absl::Status done = (*writer)->Checkpoint(); !done.ok()) {
        return ReportError(done, context.json());
      }
      writer->reset();
      // What to keep: each partition's digest up to and including its new
      // checkpoint (this process is the only writer, so nothing follows it).
      absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = (*log)->OpenReader();
      if (!reader.ok()) return ReportError(reader.status(), context.json());
      absl::StatusOr<ledger::ScanReport> scan =
          ledger::ScanLog(**reader, nullptr, events::HardwareThreads(), nullptr);
      if (!scan.ok()) return ReportError(scan.status(), context.json());
      const nlohmann::json kept = KeptCheckpointsJson((*log)->Describe(), scan->digests);
      if (context.json()) {
        PrintJson(kept);
      } else {
        std::cout << "Checkpointed " << (*log)->partition_count() << " partitions of "
                  << (*log)->Describe() << ". Keep this (or the --json form, for verify --kept):\n";
        for (const nlohmann::json& entry : kept["checkpoints"]) {
          std::cout << fmt::format(
              "  partition {}: {} records up to offset {}, running hash {}\n",
              entry["partition"].get<int>(), entry["record_count"].get<std::uint64_t>(),
              entry["last_offset"].get<std::int64_t>(), entry["running_hash"].get<std::string>());
        }
      }
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace careledger::tools
