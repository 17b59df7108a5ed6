// `careledger erase --nhs N --reason TEXT`: erasure by crypto-shredding
// (docs/governance.md, "Erasure"; ledger/erasure_rules.h).
//
// 1. The CMC team's ErasePatient is decided by the ledger: a refusal (another
//    role, an unknown or already erased patient, the retention period not
//    over without --retention-override) is recorded as a DENIED access record
//    and nothing else changes (exit 3).
// 2. Granted, its signed PatientErased is on the patient's stream, durable,
//    BEFORE anything is destroyed.
// 3. The patient's data key is destroyed and the key store compacted
//    (ledger/data_keys.h): the sealed content can never be read again.
// 4. The writer snapshots (a start-up cache holding folded plans) are
//    deleted and the projection catches up: applying the PatientErased, it
//    purges the patient's content from its files (projections/
//    erasure_purge.h), so no copy survives in either; every signature,
//    chain and checkpoint of the log is untouched and still verifies.
// Steps 1 to 3 are access::ErasePatient, shared with the service.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "access/erasure.h"
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

int RunErase(const EraseFlags& flags, const Context& context) {
  if (absl::Status valid = ledger::ValidateNhsNumber(flags.nhs_number); !valid.ok()) {
    return ReportError(valid, context.json());
  }
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return ReportError(submitter.status(), context.json());
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> keys = context.OpenDataKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());

  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::ErasePatient* erase = command.mutable_erase_patient();
  erase->set_nhs_number(flags.nhs_number);
  erase->set_reason(flags.reason);
  erase->set_retention_years(flags.retention_years);
  erase->set_retention_override(flags.override_retention);
  absl::StatusOr<access::ErasureOutcome> erased =
      access::ErasePatient(submitter->writer(), **keys, command);
  if (!erased.ok()) return ReportError(erased.status(), context.json());
  const careledger::v1::CommandResult& result = erased->result;
  if (!erased->erased()) {
    submitter->Print(result);
    return result.outcome() == careledger::v1::OUTCOME_REJECTED ? kExitRejected : kExitOk;
  }
  if (erased->completed_earlier_erasure) {
    std::cerr << fmt::format(
        "patient {} was already erased but its data key was still there: destroyed it now\n",
        flags.nhs_number);
  }
  absl::StatusOr<int> snapshots = access::ReplaceWriterSnapshots(context.SnapshotDir(), "");
  if (!snapshots.ok()) return ReportError(snapshots.status(), context.json());
  // The projection applies the PatientErased and purges the patient's
  // content from its files (projections/erasure_purge.h): no rebuild.
  ProjectionSessionOptions catch_up;
  catch_up.log = submitter->log();
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session =
      ProjectionSession::Open(context, catch_up);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
  if (!report.ok()) return ReportError(report.status(), context.json());
  if (!report->stops.empty()) {
    return ReportError(absl::DataLossError(
                           fmt::format("the projection stopped: {}", report->stops.front().reason)),
                       context.json());
  }
  if (context.json()) {
    PrintJson(nlohmann::json{{"erased", flags.nhs_number},
                             {"stream_id", result.stream_id()},
                             {"stream_seq", result.stream_seq()},
                             {"partition", result.partition()},
                             {"offset", result.offset()},
                             {"data_key_destroyed", true},
                             {"completed_earlier_erasure", erased->completed_earlier_erasure},
                             {"writer_snapshots_deleted", *snapshots},
                             {"projection_records", report->records_applied},
                             {"projection_purged", true}});
  } else {
    std::cout << fmt::format(
        "erased patient {}: PatientErased at partition {} offset {} ({} seq {}); data key "
        "destroyed and the key store compacted; {} writer snapshot(s) deleted; the projection "
        "caught up ({} records) and holds none of the patient's content\n",
        flags.nhs_number, result.partition(), result.offset(), result.stream_id(),
        result.stream_seq(), *snapshots, report->records_applied);
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
  erase->add_option("--retention-override,--override-retention", flags->override_retention,
                    "Erase before the retention period ended: why (recorded in the event)");
  erase->callback([run, flags] {
    *run = [flags](const Context& context) { return RunErase(*flags, context); };
  });
}

}  // namespace careledger::tools
