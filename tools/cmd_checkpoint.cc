// careledger checkpoint: append a signed checkpoint to every partition now,
// and write the writer's state as of it (<data>/snapshots, docs/snapshots.md)
// so the next start-up reads only the log after it.
#include <fmt/format.h>

#include <iostream>

#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/kept_checkpoints.h"
#include "tools/output.h"

namespace careledger::tools {

void RegisterCheckpoint(CLI::App& app, Runner* run) {
  CLI::App* checkpoint = app.add_subcommand(
      "checkpoint",
      "Append a signed checkpoint (last offset and running SHA-256) to every partition; keep "
      "its output to prove later that no tail was cut or rewritten. Also writes a writer "
      "snapshot (<data>/snapshots) so the next start-up reads only the log after it");
  checkpoint->callback([run] {
    *run = [](const Context& context) {
      absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
      if (!log.ok()) return ReportError(log.status(), context.json());
      absl::StatusOr<std::unique_ptr<ledger::Writer>> writer = context.OpenWriter(log->get());
      if (!writer.ok()) return ReportError(writer.status(), context.json());
      // The checkpoint, and the writer's state as of it for the next start-up
      // (docs/snapshots.md). This process is the only writer, so nothing
      // follows the checkpoint: its digests are what to keep.
      absl::StatusOr<ledger::SnapshotTaken> taken = (*writer)->Snapshot();
      if (!taken.ok()) return ReportError(taken.status(), context.json());
      writer->reset();
      const nlohmann::json kept = KeptCheckpointsJson((*log)->Describe(), taken->digests);
      if (context.json()) {
        PrintJson(kept);
      } else {
        std::cout << "Checkpointed " << (*log)->partition_count() << " partitions of "
                  << (*log)->Describe() << "; writer snapshot " << taken->path
                  << ". Keep this (or the --json form, for verify --kept):\n";
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
