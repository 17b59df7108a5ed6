// `careledger erase --nhs N --reason TEXT`: erasure by crypto-shredding
// (docs/governance.md, "Erasure"; ledger/erasure_rules.h).
//
// 1. The CMC team's ErasePatient is decided by the ledger: a refusal (another
//    role, an unknown or already erased patient, the retention period not
//    over without --override-retention) is recorded as a DENIED access record
//    and nothing else changes (exit 3).
// 2. Granted, its signed PatientErased is on the patient's stream, durable,
//    BEFORE anything is destroyed.
// 3. The patient's data key is destroyed and the key store compacted
//    (ledger/data_keys.h): the sealed content can never be read again.
// 4. The writer snapshots (a start-up cache holding folded plans) are
//    deleted and the projection rebuilt from the log, so no copy of the
//    content survives in either; every signature, chain and checkpoint of
//    the log is untouched and still verifies.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "events/format.h"
#include "ledger/data_keys.h"
#include "ledger/erasure_rules.h"
#include "ledger/nhs_number.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/context.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

struct EraseFlags {
  ActorFlags actor;
  std::string nhs_number;
  std::string reason;
  std::uint32_t retention_years = ledger::kDefaultRetentionYears;
  std::string override_retention;
};

// Deletes the writer snapshots of this data directory (docs/snapshots.md):
// they hold folded plans, and the next start-up reads the whole log instead.
absl::StatusOr<int> DeleteWriterSnapshots(const Context& context) {
  int deleted = 0;
  std::error_code error;
  if (!std::filesystem::exists(context.SnapshotDir(), error)) return deleted;
  for (const auto& entry : std::filesystem::directory_iterator(context.SnapshotDir(), error)) {
    if (!entry.is_regular_file()) continue;
    if (!std::filesystem::remove(entry.path(), error) || error) {
      return absl::InternalError(fmt::format("cannot delete the writer snapshot {}: {}",
                                             entry.path().string(), error.message()));
    }
    ++deleted;
  }
  if (error) {
    return absl::InternalError(
        fmt::format("cannot list {}: {}", context.SnapshotDir(), error.message()));
  }
  return deleted;
}

int RunErase(const EraseFlags& flags, const Context& context) {
  if (absl::Status valid = ledger::ValidateNhsNumber(flags.nhs_number); !valid.ok()) {
    return ReportError(valid, context.json());
  }
  const std::string stream = fmt::format("patient/{}", flags.nhs_number);
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return ReportError(submitter.status(), context.json());
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> keys = context.OpenDataKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());

  // A key still live for a patient the ledger already erased: an earlier
  // erase recorded its PatientErased but stopped before destroying the key.
  absl::StatusOr<std::optional<events::AesKey>> live = (*keys)->Find(stream);
  const bool key_live = live.ok() && live->has_value();

  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::ErasePatient* erase = command.mutable_erase_patient();
  erase->set_nhs_number(flags.nhs_number);
  erase->set_reason(flags.reason);
  erase->set_retention_years(flags.retention_years);
  erase->set_retention_override(flags.override_retention);
  absl::StatusOr<careledger::v1::CommandResult> result = submitter->SubmitQuietly(command);
  if (!result.ok()) return ReportError(result.status(), context.json());
  const bool completing = result->outcome() == careledger::v1::OUTCOME_REJECTED && key_live &&
                          absl::StrContains(result->error(), "already erased");
  if (result->outcome() != careledger::v1::OUTCOME_APPLIED && !completing) {
    submitter->Print(*result);
    return result->outcome() == careledger::v1::OUTCOME_REJECTED ? kExitRejected : kExitOk;
  }
  if (completing) {
    std::cerr << fmt::format(
        "patient {} was already erased but its data key is still there: destroying it now\n",
        flags.nhs_number);
  }

  // Recorded and durable: now destroy the key, then every derived copy.
  if (absl::Status destroyed = (*keys)->Destroy(stream, absl::Now()); !destroyed.ok()) {
    return ReportError(
        absl::Status(destroyed.code(),
                     fmt::format("the patient's PatientErased is recorded, but the data key was "
                                 "not destroyed: {} (run erase again once fixed: it finds the "
                                 "erasure recorded and destroys the key)",
                                 destroyed.message())),
        context.json());
  }
  absl::StatusOr<int> snapshots = DeleteWriterSnapshots(context);
  if (!snapshots.ok()) return ReportError(snapshots.status(), context.json());
  ProjectionSessionOptions rebuild;
  rebuild.rebuild = true;
  rebuild.log = submitter->log();
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, rebuild);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
  if (!report.ok()) return ReportError(report.status(), context.json());
  if (!report->stops.empty()) {
    return ReportError(absl::DataLossError(fmt::format("the rebuilt projection stopped: {}",
                                                       report->stops.front().reason)),
                       context.json());
  }
  if (context.json()) {
    PrintJson(nlohmann::json{{"erased", flags.nhs_number},
                             {"stream_id", result->stream_id()},
                             {"stream_seq", result->stream_seq()},
                             {"partition", result->partition()},
                             {"offset", result->offset()},
                             {"data_key_destroyed", true},
                             {"completed_earlier_erasure", completing},
                             {"writer_snapshots_deleted", *snapshots},
                             {"projection_records", report->records_applied},
                             {"projection_records_erased", report->records_erased}});
  } else {
    std::cout << fmt::format(
        "erased patient {}: PatientErased at partition {} offset {} ({} seq {}); data key "
        "destroyed and the key store compacted; {} writer snapshot(s) deleted; projection rebuilt "
        "({} records, {} of them erased content)\n",
        flags.nhs_number, result->partition(), result->offset(), result->stream_id(),
        result->stream_seq(), *snapshots, report->records_applied, report->records_erased);
  }
  return kExitOk;
}

}  // namespace

void RegisterErase(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<EraseFlags>();
  CLI::App* erase = app.add_subcommand(
      "erase",
      "Erase a patient by crypto-shredding (CMC team): a signed PatientErased, then their data "
      "key is destroyed; the log still verifies, the audit trail keeps who read what and when");
  flags->actor.role = "auditor";
  flags->actor.Register(erase);
  erase->add_option("--nhs", flags->nhs_number, "The patient's NHS number")->required();
  erase->add_option("--reason", flags->reason, "Why (e.g. the consent withdrawal it honours)")
      ->required();
  erase
      ->add_option("--retention-years", flags->retention_years,
                   "The retention period, from death or consent withdrawal (Records Management "
                   "Code of Practice: 8 years for adult health records)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  erase->add_option("--override-retention", flags->override_retention,
                    "Erase before the retention period ended: why (recorded in the event)");
  erase->callback([run, flags] {
    *run = [flags](const Context& context) { return RunErase(*flags, context); };
  });
}

}  // namespace careledger::tools
