// careledger init: create the data directory's keys and the log.
#include <fmt/format.h>

#include <iostream>

#include "events/format.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::tools {

void RegisterInit(CLI::App& app, Runner* run) {
  CLI::App* init = app.add_subcommand(
      "init", "Create a ledger: a signing key, the public keyring, and the log (topic)");
  init->callback([run] {
    *run = [](const Context& context) {
      absl::StatusOr<ledger::KeyStore> keys =
          ledger::KeyStore::Create(context.KeysDir(), absl::Now());
      if (!keys.ok()) return ReportError(keys.status(), context.json());
      absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog();
      if (!log.ok()) return ReportError(log.status(), context.json());
      const std::string key_id = keys->Active(absl::Now())->key_id;
      if (context.json()) {
        PrintJson({{"data", context.options().data_dir},
                   {"log", (*log)->Describe()},
                   {"partitions", (*log)->partition_count()},
                   {"key_id", key_id}});
      } else {
        std::cout << fmt::format(
            "Created ledger in {}\n  log:        {} ({} partitions)\n  signing key: {}\n"
            "  keyring:    {}/keyring.json (share it with verifiers)\n",
            context.options().data_dir, (*log)->Describe(), (*log)->partition_count(), key_id,
            context.KeysDir());
      }
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace careledger::tools
