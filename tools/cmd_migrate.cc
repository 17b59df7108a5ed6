// careledger migrate: the UCP migration (issue 11 item 5; docs/migration.md).
//
//   migrate export --out DIR [--projection DIR]
//       every plan that may migrate, as one FHIR R4 Bundle per patient, a
//       report of what was left behind and why with the counts per
//       organisation, and a manifest (every file's SHA-256, the log position
//       per partition) signed by the ledger key (tools/migrate_export.h). An
//       audit query: the ledger decides it (only the CMC team) and records it
//       before anything is read. DIR must not exist; its parent must.
//   migrate verify --dir DIR [--keyring FILE]
//       checks the signature (with this ledger's keyring, or FILE from
//       `careledger keys export`) and every file; each problem is named, exit
//       4 when there is any.
#include <fmt/format.h>

#include <iostream>

#include "tools/audit_command.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/migrate_export.h"
#include "tools/migrate_manifest.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

struct ExportFlags {
  ActorFlags actor;
  std::string out;
  std::string projection;  // --projection DIR: a replay
};

struct VerifyFlags {
  std::string dir;
  std::string keyring;  // "" = this ledger's
};

int RunExport(const ExportFlags& flags, const Context& context) {
  if (absl::Status target = CheckExportTarget(flags.out); !target.ok()) {
    return ReportError(target, context.json());
  }
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());
  absl::StatusOr<ledger::ActiveKey> key = keys->Active(absl::Now());
  if (!key.ok()) return ReportError(key.status(), context.json());
  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());

  MigrationExportOptions options;
  options.out = flags.out;
  options.ledger = context.options().topic;
  options.log = context.options().log;
  absl::StatusOr<MigrationExport> exported =
      ExportMigration(session->writer(), MigrationQuery(flags.actor.NewCommand()), *session->feed,
                      session->deadline(), *key, options);
  if (!exported.ok()) return ReportError(exported.status(), context.json());
  if (!exported->granted) return session->Refused(exported->recorded);
  const careledger::v1::CommandResult& recorded = exported->recorded;
  if (context.json()) {
    PrintJson({{"out", flags.out},
               {"plans_exported", exported->plans_exported},
               {"left_behind", exported->left_behind.size()},
               {"recorded", MessageJson(recorded)}});
    return kExitOk;
  }
  std::cout << fmt::format(
      "exported {} plan{} to {} (one FHIR R4 Bundle per patient); {} item{} left behind, "
      "listed in report.csv; manifest signed by key {} (this export is recorded: {} seq {}, "
      "partition {} offset {})\n",
      exported->plans_exported, exported->plans_exported == 1 ? "" : "s", flags.out,
      exported->left_behind.size(), exported->left_behind.size() == 1 ? "" : "s", key->key_id,
      recorded.stream_id(), recorded.stream_seq(), recorded.partition(), recorded.offset());
  return kExitOk;
}

int RunVerify(const VerifyFlags& flags, const Context& context) {
  events::Keyring keyring;
  if (flags.keyring.empty()) {
    absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
    if (!keys.ok()) return ReportError(keys.status(), context.json());
    keyring = keys->keyring();
  } else {
    absl::StatusOr<events::Keyring> read = ledger::ReadKeyringFile(flags.keyring);
    if (!read.ok()) return ReportError(read.status(), context.json());
    keyring = *std::move(read);
  }
  absl::StatusOr<MigrationCheck> check = CheckMigrationExport(flags.dir, keyring);
  if (!check.ok()) {
    return ReportError(absl::InvalidArgumentError(check.status().message()), context.json());
  }
  const bool intact = check->problems.empty();
  if (context.json()) {
    PrintJson({{"dir", flags.dir},
               {"intact", intact},
               {"key_id", check->key_id},
               {"created", check->created},
               {"files", check->files},
               {"problems", check->problems}});
  } else {
    for (const std::string& problem : check->problems) {
      std::cout << fmt::format("{}: {}\n", flags.dir, problem);
    }
    if (intact) {
      std::cout << fmt::format(
          "{}: the migration export is intact: manifest signed by key {} at {}, {} files as "
          "listed\n",
          flags.dir, check->key_id, check->created, check->files);
    }
  }
  return intact ? kExitOk : kExitIntegrity;
}

}  // namespace

void RegisterMigrate(CLI::App& app, Runner* run) {
  CLI::App* migrate = app.add_subcommand(
      "migrate",
      "The UCP migration (January 2022 notice): export the plans that may migrate "
      "as FHIR R4, signed, and check such an export");
  migrate->require_subcommand(1);

  auto export_flags = std::make_shared<ExportFlags>();
  CLI::App* exporter = migrate->add_subcommand(
      "export",
      "Write every plan that may migrate (latest published version and its history; no drafts, "
      "restricted, withdrawn or deceased patients' plans, no myCMC requests) as one FHIR R4 "
      "Bundle per patient, a report of what was left behind per organisation, and a manifest "
      "signed by the ledger key. An audit query (CMC team only), recorded first");
  export_flags->actor.role = "auditor";
  export_flags->actor.Register(exporter);
  exporter
      ->add_option("--out", export_flags->out,
                   "The export directory: created, must not exist (its parent must)")
      ->required();
  AddProjectionFlag(exporter, &export_flags->projection);
  exporter->callback([run, export_flags] {
    *run = [export_flags](const Context& context) {
      return RunExport(*export_flags, context.WithReplayProjection(export_flags->projection));
    };
  });

  auto verify_flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = migrate->add_subcommand(
      "verify",
      "Check a migration export: the manifest's signature and every file's SHA-256; names each "
      "changed, missing or extra file (exit 4)");
  verify->add_option("--dir", verify_flags->dir, "The export directory")->required();
  verify->add_option("--keyring", verify_flags->keyring,
                     "The ledger's public keyring (careledger keys export); default this "
                     "ledger's");
  verify->callback([run, verify_flags] {
    *run = [verify_flags](const Context& context) { return RunVerify(*verify_flags, context); };
  });
}

}  // namespace careledger::tools
