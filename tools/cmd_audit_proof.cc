// careledger audit proof: a patient's receipt for one record (docs/proof.md),
// which a third party checks offline (tests/independent/check_proof.py). Like
// every audit command, the request is recorded first: as an examination of
// that record (AUDIT_SCOPE_ACCESS), in the patient's trail.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "access/record_proof.h"
#include "tools/audit_command.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
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

int RunProof(const ProofFlags& flags, const Context& context) {
  absl::StatusOr<RecordSession> opened =
      RecordSession::Open(flags.partition, flags.offset, context);
  if (!opened.ok()) return ReportError(opened.status(), context.json());
  const ledger::KeyStore* keys = &opened->keys;
  AuditSession* session = &opened->session;
  ledger::Log& log = *session->submitter->log();
  absl::StatusOr<access::LogLookup> lookup = access::LogLookup::Open(&log, {});
  if (!lookup.ok()) return ReportError(lookup.status(), context.json());
  // Refused before anything is recorded: an existing file without --force.
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> file =
      SafeFileWriter::Create(flags.out, flags.force);
  if (!file.ok()) return ReportError(file.status(), context.json());
  careledger::v1::EventPosition position;
  position.set_partition(flags.partition);
  position.set_offset(flags.offset);
  absl::StatusOr<access::RecordProof> proven =
      access::ProveRecord(session->writer(), flags.actor.NewCommand(), log, *lookup,
                          keys->keyring(), position, *session->feed, session->deadline());
  if (!proven.ok()) return ReportError(proven.status(), context.json());
  if (!proven->granted) return session->Refused(proven->recorded);
  const nlohmann::json* proof = &proven->proof;
  const careledger::v1::CommandResult* recorded = &proven->recorded;
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
      "proof of partition {} offset {} written to {}: its chain to the signed "
      "checkpoint at offset {} ({} records between); check it with "
      "tests/independent/check_proof.py (docs/proof.md). This query is recorded: {} seq {}, "
      "partition {} offset {}\n",
      flags.partition, flags.offset, flags.out,
      (*proof)["checkpoint"]["offset"].get<std::int64_t>(), (*proof)["following"].size(),
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
