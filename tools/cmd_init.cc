// careledger init: create the data directory's keys and the log.
#include <fmt/format.h>

#include <iostream>

#include "events/format.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/ledger_init.h"
#include "tools/output.h"

namespace careledger::tools {

void RegisterInit(CLI::App& app, Runner* run) {
  CLI::App* init = app.add_subcommand(
      "init", "Create a ledger: a signing key, the public keyring, and the log (topic)");
  init->callback([run] {
    *run = [](const Context& context) {
      absl::StatusOr<InitializedLedger> ledger = InitializeLedger(context);
      if (!ledger.ok()) return ReportError(ledger.status(), context.json());
      const std::unique_ptr<ledger::Log>& log = ledger->log;
      const std::string& key_id = ledger->key_id;
      if (context.json()) {
        PrintJson({{"data", context.options().data_dir},
                   {"log", log->Describe()},
                   {"partitions", log->partition_count()},
                   {"key_id", key_id},
                   {"log_id", ledger->log_id}});
      } else {
        std::cout << fmt::format(
            "Created ledger in {}\n  log:        {} ({} partitions, log id {})\n"
            "  signing key: {}\n"
            "  keyring:    {}/keyring.json (share it with verifiers)\n",
            context.options().data_dir, log->Describe(), log->partition_count(), ledger->log_id,
            key_id, context.KeysDir());
      }
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace careledger::tools
