// careledger audit proof: a patient's receipt for one record (docs/proof.md),
// which a third party checks offline (tests/independent/check_proof.py). Like
// every audit command, the request is recorded first: as an examination of
// that record (AUDIT_SCOPE_ACCESS), in the patient's trail.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "events/envelope.h"
#include "ledger/nhs_number.h"
#include "tools/audit_command.h"
#include "tools/audit_proof.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/log_lookup.h"
#include "tools/output.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

struct ProofFlags {
  ActorFlags actor;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string out;
  bool force = false;
};

// The patient a record concerns: an access record's, or a plan stream's; "".
std::string PatientOf(const careledger::v1::Event& event) {
  if (event.has_access_recorded()) return event.access_recorded().nhs_number();
  constexpr std::string_view kPlan = "patient/";
  if (event.stream_id().rfind(kPlan, 0) == 0) return event.stream_id().substr(kPlan.size());
  return "";
}

int RunProof(const ProofFlags& flags, const Context& context) {
  if (flags.partition < 0 || flags.offset < 0) {
    return ReportError(absl::InvalidArgumentError("--partition and --offset name the record"),
                       context.json());
  }
  absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
  if (!keys.ok()) return ReportError(keys.status(), context.json());
  absl::StatusOr<CommandSubmitter> submitter = CommandSubmitter::Open(context);
  if (!submitter.ok()) return ReportError(submitter.status(), context.json());
  if (flags.partition >= submitter->log()->partition_count()) {
    return ReportError(absl::InvalidArgumentError(fmt::format("the log has {} partitions",
                                                              submitter->log()->partition_count())),
                       context.json());
  }

  // Whose record it is, so that the query is in that patient's trail.
  absl::StatusOr<LogLookup> lookup = LogLookup::Open(submitter->log(), {});
  if (!lookup.ok()) return ReportError(lookup.status(), context.json());
  absl::StatusOr<events::LogRecord> raw = lookup->Read(flags.partition, flags.offset);
  if (!raw.ok()) return ReportError(raw.status(), context.json());
  absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(raw->key, raw->value);
  if (!opened.ok()) return ReportError(opened.status(), context.json());

  // Built before the query is recorded (nothing is shown yet), so that a
  // request that cannot be answered is not recorded as an examination.
  absl::StatusOr<nlohmann::json> proof =
      BuildRecordProof(*submitter->log(), keys->keyring(), flags.partition, flags.offset);
  if (!proof.ok()) return ReportError(proof.status(), context.json());
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> file =
      SafeFileWriter::Create(flags.out, flags.force);
  if (!file.ok()) return ReportError(file.status(), context.json());
  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::AuditQuery* query = command.mutable_audit_query();
  query->set_scope(careledger::v1::AUDIT_SCOPE_ACCESS);
  query->set_subject(fmt::format("{}/{}", flags.partition, flags.offset));
  if (const std::string patient = PatientOf(opened->event);
      ledger::ValidateNhsNumber(patient).ok()) {
    query->set_nhs_number(patient);
  }
  int exit_code = kExitOk;
  std::optional<careledger::v1::CommandResult> recorded =
      RecordAuditQuery(*submitter, command, context, &exit_code);
  if (!recorded) return exit_code;

  (*file)->stream() << proof->dump(2) << "\n";
  if (absl::Status written = (*file)->Commit(); !written.ok()) {
    return ReportError(written, context.json());
  }
  if (context.json()) {
    PrintJson({{"out", flags.out},
               {"partition", flags.partition},
               {"offset", flags.offset},
               {"checkpoint_offset", (*proof)["checkpoint"]["offset"]},
               {"records_to_checkpoint", (*proof)["following"].size()},
               {"recorded", MessageJson(*recorded)}});
    return kExitOk;
  }
  std::cout << fmt::format(
      "proof of partition {} offset {} ({} seq {}) written to {}: its chain to the signed "
      "checkpoint at offset {} ({} records between); check it with "
      "tests/independent/check_proof.py (docs/proof.md). This query is recorded: {} seq {}, "
      "partition {} offset {}\n",
      flags.partition, flags.offset, opened->event.stream_id(), opened->event.stream_seq(),
      flags.out, (*proof)["checkpoint"]["offset"].get<std::int64_t>(), (*proof)["following"].size(),
      recorded->stream_id(), recorded->stream_seq(), recorded->partition(), recorded->offset());
  return kExitOk;
}

}  // namespace

void RegisterAuditProof(CLI::App* audit, Runner* run) {
  auto flags = std::make_shared<ProofFlags>();
  CLI::App* sub = audit->add_subcommand(
      "proof",
      "A patient's receipt: a small self-contained proof that one record (e.g. an access "
      "record) is in the log, chained to a signed checkpoint, that anyone can check offline "
      "from the published format (docs/proof.md)");
  flags->actor.role = "auditor";
  flags->actor.Register(sub);
  sub->add_option("--partition", flags->partition, "The record's partition")->required();
  sub->add_option("--offset", flags->offset, "The record's offset")->required();
  sub->add_option("--out", flags->out, "Where to write the proof (JSON)")->required();
  sub->add_flag("--force", flags->force, "Replace an existing file");
  sub->callback([run, flags] {
    *run = [flags](const Context& context) { return RunProof(*flags, context); };
  });
}

}  // namespace careledger::tools
