// careledger checkpoint: append a signed checkpoint to every partition now.
#include <iostream>

#include "tools/commands.h"
#include "tools/exit_codes.h"
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
      if (context.json()) {
        PrintJson({{"checkpointed", (*log)->partition_count()}});
      } else {
        std::cout << "Checkpointed " << (*log)->partition_count() << " partitions of "
                  << (*log)->Describe() << "\n";
      }
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace careledger::tools
