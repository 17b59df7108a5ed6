// careledger keys: list, rotate and export the signing keys.
#include <fmt/format.h>

#include <iostream>

#include "events/format.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

std::string FormatWindowEnd(absl::Time until) {
  return until == absl::InfiniteFuture() ? std::string("(open)")
                                         : absl::FormatTime(until, absl::UTCTimeZone());
}

int ListKeys(const Context& context) {
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());
  absl::StatusOr<ledger::ActiveKey> active = keys->Active(absl::Now());
  const std::string active_id = active.ok() ? active->key_id : "";
  if (context.json()) {
    std::cout << *keys->keyring().ToJson() << "\n";
    return kExitOk;
  }
  for (const events::KeyEntry& entry : keys->keyring().entries()) {
    std::cout << fmt::format("{} {}  valid {} .. {}\n", entry.key_id == active_id ? "*" : " ",
                             entry.key_id, absl::FormatTime(entry.valid_from, absl::UTCTimeZone()),
                             FormatWindowEnd(entry.valid_until));
  }
  return kExitOk;
}

}  // namespace

void RegisterKeys(CLI::App& app, Runner* run) {
  CLI::App* keys_command = app.add_subcommand("keys", "Signing keys and the public keyring");
  keys_command->require_subcommand(1);

  CLI::App* list =
      keys_command->add_subcommand("list", "List keys and their validity windows (* = active)");
  list->callback([run] { *run = ListKeys; });

  CLI::App* rotate = keys_command->add_subcommand(
      "rotate",
      "Generate a new signing key, retire the active one now; history keeps verifying. "
      "Restart running writers afterwards");
  rotate->callback([run] {
    *run = [](const Context& context) {
      absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
      if (!keys.ok()) return ReportError(keys.status(), context.json());
      absl::StatusOr<std::string> key_id = keys->Rotate(absl::Now());
      if (!key_id.ok()) return ReportError(key_id.status(), context.json());
      if (context.json()) {
        PrintJson({{"active_key_id", *key_id}});
      } else {
        std::cout << "New active signing key: " << *key_id << "\n";
      }
      return static_cast<int>(kExitOk);
    };
  });

  auto export_path = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  CLI::App* exported = keys_command->add_subcommand(
      "export", "Write the public keyring as JSON (what an independent verifier needs)");
  exported->add_option("--out", *export_path, "File to write (default: stdout)");
  exported->add_flag("--force", *force, "Replace the --out file if it exists");
  exported->callback([run, export_path, force] {
    *run = [export_path, force](const Context& context) {
      absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
      if (!keys.ok()) return ReportError(keys.status(), context.json());
      absl::StatusOr<std::string> json = keys->keyring().ToJson();
      if (!json.ok()) return ReportError(json.status(), context.json());
      if (export_path->empty()) {
        std::cout << *json << "\n";
      } else if (absl::Status written = WriteOutputFile(*export_path, *json + "\n", *force);
                 !written.ok()) {
        return ReportError(written, context.json());
      }
      return static_cast<int>(kExitOk);
    };
  });

  CLI::App* generate = keys_command->add_subcommand(
      "generate", "Create the key directory with a first key (as init does, without a log)");
  generate->callback([run] {
    *run = [](const Context& context) {
      absl::StatusOr<ledger::KeyStore> keys =
          ledger::KeyStore::Create(context.KeysDir(), absl::Now());
      if (!keys.ok()) return ReportError(keys.status(), context.json());
      return ListKeys(context);
    };
  });
}

}  // namespace careledger::tools
