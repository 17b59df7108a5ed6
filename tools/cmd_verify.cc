// careledger verify: check the whole log against DESIGN §3, say where the
// first untrusted record of each partition is, and compare the log with every
// witness of its extent (docs/witnesses.md): the writer's head file, the
// projection's progress, and checkpoints kept elsewhere (--kept).
#include <fmt/format.h>

#include <iostream>

#include "events/failure.h"
#include "events/format.h"
#include "ledger/key_store.h"
#include "ledger/log_scan.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/kept_checkpoints.h"
#include "tools/log_verification.h"
#include "tools/output.h"
#include "tools/rollbacks.h"
#include "tools/witnesses.h"

namespace careledger::tools {
namespace {

struct VerifyFlags {
  std::string keyring_path;  // default: the data directory's keyring
  std::string kept_path;     // checkpoints kept from `careledger --json checkpoint`
  int threads = 0;
};

int RunVerify(const VerifyFlags& flags, const Context& context) {
  absl::StatusOr<events::Keyring> keyring =
      flags.keyring_path.empty() ? [&]() -> absl::StatusOr<events::Keyring> {
    absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
    if (!keys.ok()) return keys.status();
    return keys->keyring();
  }()
      : ledger::ReadKeyringFile(flags.keyring_path);
  if (!keyring.ok()) return ReportError(keyring.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog(/*read_only=*/true);
  if (!log.ok()) return ReportError(log.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = (*log)->OpenReader();
  if (!reader.ok()) return ReportError(reader.status(), context.json());

  std::vector<KeptCheckpoint> kept;
  if (!flags.kept_path.empty()) {
    absl::StatusOr<std::vector<KeptCheckpoint>> read = ReadKeptCheckpoints(flags.kept_path);
    if (!read.ok()) return ReportError(read.status(), context.json());
    kept = *std::move(read);
  }
  const std::int32_t partitions = (*reader)->partition_count();
  DataDirWitnesses data_dir = CollectWitnesses(context, partitions);
  for (KeptCheckpoint& checkpoint : kept) data_dir.witnesses.push_back(std::move(checkpoint));
  // The last signed checkpoint in each partition: the extent the log itself
  // proves to anyone who kept it.
  std::vector<std::int64_t> last_checkpoint(partitions, -1);
  absl::StatusOr<LogVerification> verification =
      VerifyLog(**reader, *keyring, flags.threads, std::move(data_dir.witnesses),
                [&](std::int32_t partition, const events::VerifiedRecord& record) {
                  if (record.opened.event.has_checkpoint())
                    last_checkpoint[partition] = record.offset;
                });
  if (!verification.ok()) return ReportError(verification.status(), context.json());
  const ledger::ScanReport* report = &verification->scan;
  const std::vector<std::string>& kept_failures = verification->kept_failures;
  const std::vector<ledger::Witness>& confirmed = verification->confirmed;
  const bool intact = report->stops.empty() && kept_failures.empty();
  // Rollbacks an operator accepted at `restore`: never failures again, but
  // said by every verify, with what was lost.
  absl::StatusOr<std::vector<RollbackRecord>> rollbacks = ReadRollbacks(context.options().data_dir);
  if (!rollbacks.ok()) return ReportError(rollbacks.status(), context.json());
  std::vector<std::string> rollback_lines;
  for (const RollbackRecord& rollback : *rollbacks) {
    for (const RolledBackPartition& partition : rollback.partitions) {
      rollback_lines.push_back(fmt::format(
          "{}: restored {} (made {}): partition {} lost {} acknowledged records (offsets {} to "
          "{}), accepted by the operator",
          rollback.time, rollback.backup, rollback.backup_created, partition.partition,
          partition.lost_records, partition.restored_last_offset + 1,
          partition.witnessed_last_offset));
    }
  }

  if (context.json()) {
    nlohmann::json stops = nlohmann::json::array();
    for (const events::VerificationStop& stop : report->stops) {
      std::optional<events::FailureKind> kind = events::FailureKindOf(stop.reason);
      stops.push_back({{"partition", stop.partition},
                       {"offset", stop.offset},
                       {"stream", stop.stream_id},
                       {"failure", kind ? std::string(events::FailureKindName(*kind)) : "error"},
                       {"reason", std::string(stop.reason.message())}});
    }
    nlohmann::json by_partition = nlohmann::json::array();
    for (std::size_t p = 0; p < report->digests.size(); ++p) {
      nlohmann::json witnessed = nlohmann::json::array();
      for (const ledger::Witness& witness : confirmed) {
        if (witness.partition != static_cast<std::int32_t>(p)) continue;
        witnessed.push_back(
            {{"source", witness.source}, {"last_offset", witness.digest.last_offset}});
      }
      by_partition.push_back({{"partition", p},
                              {"records", report->digests[p].record_count},
                              {"last_offset", report->digests[p].last_offset},
                              {"last_checkpoint_offset", last_checkpoint[p]},
                              {"running_hash", events::HashHex(report->digests[p].running)},
                              {"witnessed_by", witnessed}});
    }
    PrintJson({{"log", (*log)->Describe()},
               {"log_id", report->log_id},
               {"ok", intact},
               {"witness_failures", kept_failures},
               {"kept_checkpoint_failures", kept_failures},
               {"witnesses_missing", data_dir.missing},
               {"accepted_rollbacks", rollback_lines},
               {"records", report->records},
               {"checkpoints", report->checkpoints},
               {"partitions", by_partition},
               {"failures", stops}});
  } else {
    std::cout << fmt::format("{}: {} records verified ({} checkpoints) in {} partitions\n",
                             (*log)->Describe(), report->records, report->checkpoints,
                             report->digests.size());
    std::cout << fmt::format("  log id {}\n", report->log_id);
    for (std::size_t p = 0; p < report->digests.size(); ++p) {
      std::cout << fmt::format(
          "  partition {}: {} records to offset {}, running hash {}; last signed checkpoint at "
          "{}\n",
          p, report->digests[p].record_count, report->digests[p].last_offset,
          events::HashHex(report->digests[p].running),
          last_checkpoint[p] < 0 ? std::string("(none)") : std::to_string(last_checkpoint[p]));
      for (const ledger::Witness& witness : confirmed) {
        if (witness.partition != static_cast<std::int32_t>(p)) continue;
        std::cout << fmt::format("    consistent with {} (to offset {})\n", witness.source,
                                 witness.digest.last_offset);
      }
    }
    for (const std::string& missing : data_dir.missing) {
      std::cout << "  witness not available: " << missing << "\n";
    }
    for (const std::string& line : rollback_lines) std::cout << "ROLLBACK " << line << "\n";
    for (const events::VerificationStop& stop : report->stops) {
      std::cout << "INTEGRITY FAILURE " << stop.Describe() << "\n";
    }
    for (const std::string& failure : kept_failures) {
      std::cout << "INTEGRITY FAILURE witness: " << failure << "\n";
    }
    std::cout << (intact ? "OK: the log is intact.\n" : "FAILED: the log does not verify.\n");
  }
  return intact ? kExitOk : kExitIntegrity;
}

}  // namespace

void RegisterVerify(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Verify every record: envelope, Ed25519 signature, key validity at the record's time, "
      "hash chain, sequence (no gap, no duplicate) and checkpoints. Exit 4 on any failure");
  verify->add_option("--keyring", flags->keyring_path,
                     "Public keyring JSON to trust (default: the data directory's)");
  verify->add_option("--threads", flags->threads, "Signature-checking threads (0 = all cores)");
  verify->add_option("--kept", flags->kept_path,
                     "Checkpoints kept from 'careledger --json checkpoint': fail if the log no "
                     "longer reaches them or hashes differently up to them");
  verify->callback([run, flags] {
    *run = [flags](const Context& context) { return RunVerify(*flags, context); };
  });
}

}  // namespace careledger::tools
