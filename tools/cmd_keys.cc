// careledger keys: list, rotate, revoke and export the signing keys.
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
    std::cout << fmt::format(
        "{} {}  valid {} .. {}{}\n", entry.key_id == active_id ? "*" : " ", entry.key_id,
        absl::FormatTime(entry.valid_from, absl::UTCTimeZone()), FormatWindowEnd(entry.valid_until),
        entry.revoked_at == absl::InfiniteFuture()
            ? std::string()
            : fmt::format("  REVOKED from {} ({})",
                          absl::FormatTime(entry.revoked_at, absl::UTCTimeZone()),
                          entry.revocation_reason));
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
      "Generate a new signing key; the old one stays valid 30 s more, then retires. Running "
      "writers switch at their next batch; history keeps verifying");
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

  auto node = std::make_shared<std::string>();
  CLI::App* add_node = keys_command->add_subcommand(
      "add-node",
      "Register a read replica's node key (node.<node>, valid from now) in the keyring: it may "
      "sign only access records on access/<node> (docs/replicas.md), never the writer's records");
  add_node->add_option("--node", *node, "The replica's node id (letters, digits, '-', '_')")
      ->required();
  add_node->callback([run, node] {
    *run = [node](const Context& context) {
      absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
      if (!keys.ok()) return ReportError(keys.status(), context.json());
      absl::StatusOr<std::string> key_id = keys->AddNodeKey(*node, absl::Now());
      if (!key_id.ok()) return ReportError(key_id.status(), context.json());
      if (context.json()) {
        PrintJson({{"node", *node}, {"key_id", *key_id}});
      } else {
        std::cout << "Node key registered: " << *key_id << "\n";
      }
      return static_cast<int>(kExitOk);
    };
  });

  struct RevokeFlags {
    std::string key_id;
    std::string from;  // RFC 3339
    std::string reason;
  };
  auto revoke_flags = std::make_shared<RevokeFlags>();
  CLI::App* revoke = keys_command->add_subcommand(
      "revoke",
      "Revoke a compromised key from a time (possibly past): verify then fails every record it "
      "signed from that time (key_revoked), and keeps trusting what it signed before. A new key "
      "is generated first when the revoked one is signing now");
  revoke->add_option("--key", revoke_flags->key_id, "The key id")->required();
  revoke
      ->add_option("--from", revoke_flags->from,
                   "When it was compromised, RFC 3339 (e.g. 2026-12-01T09:00:00Z)")
      ->required();
  revoke->add_option("--reason", revoke_flags->reason, "Why, for the record")->required();
  revoke->callback([run, revoke_flags] {
    *run = [revoke_flags](const Context& context) {
      absl::Time from;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, revoke_flags->from, &from, &error)) {
        return ReportError(
            absl::InvalidArgumentError(
                fmt::format("--from '{}' is not an RFC 3339 time: {}", revoke_flags->from, error)),
            context.json());
      }
      absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
      if (!keys.ok()) return ReportError(keys.status(), context.json());
      if (absl::Status revoked =
              keys->Revoke(revoke_flags->key_id, from, revoke_flags->reason, absl::Now());
          !revoked.ok()) {
        return ReportError(revoked, context.json());
      }
      if (context.json()) {
        PrintJson({{"revoked_key_id", revoke_flags->key_id}});
        return static_cast<int>(kExitOk);
      }
      std::cout << fmt::format("Revoked {} from {}\n", revoke_flags->key_id,
                               absl::FormatTime(from, absl::UTCTimeZone()));
      return ListKeys(context);
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
