// careledger backup --out DIR: a verified copy of a one-machine deployment's
// data directory (docs/backup.md).
//
// The log is copied with RocksDB's Checkpoint, not its BackupEngine: the copy
// is a plain RocksDB directory that careledger opens as it is
// (`careledger --data DIR verify` works on a backup), one backup per
// directory with no incremental chain of shared files to trust. Checkpoint
// needs the owner's handle (it stops file deletions while it copies; a
// RocksDB secondary cannot stop the owner's compactions deleting files it is
// copying), so a backup takes the log's lock: it waits up to --wait seconds
// for a running writer to finish, then refuses. Table files RocksDB
// hard-links are replaced by real copies, so the backup shares no bytes with
// the live log. Then the keys (after the log: a key rotated meanwhile only
// adds to the keyring) and the witness directory, if any, are copied; the
// copy is verified with its own keyring, and backup.json written last.
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "events/format.h"
#include "ledger/data_keys.h"
#include "ledger/embedded_log.h"
#include "tools/backup_copy.h"
#include "tools/backup_manifest.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/private_files.h"

namespace careledger::tools {
namespace {

struct BackupFlags {
  std::string out;
  double wait_seconds = 10;
  int threads = 0;
};

// Copies the log by checkpoint, retrying while another process owns it.
absl::Status CheckpointLog(const std::string& log_dir, const std::string& out_dir,
                           double wait_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(wait_seconds * 1000));
  for (;;) {
    absl::Status status = ledger::CheckpointEmbeddedLog(log_dir, out_dir);
    if (status.code() != absl::StatusCode::kFailedPrecondition ||
        std::chrono::steady_clock::now() >= deadline) {
      if (status.code() == absl::StatusCode::kFailedPrecondition) {
        return absl::FailedPreconditionError(
            fmt::format("{}; a backup needs the log to itself: stop the writer ('serve', 'load', a "
                        "long 'submit') and run backup again",
                        std::string(status.message())));
      }
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int RunBackup(const BackupFlags& flags, const Context& context) {
  const bool json = context.json();
  if (context.options().log != "embedded") {
    return ReportError(absl::InvalidArgumentError(
                           "backup copies the embedded log; a Kafka log is kept by Kafka's own "
                           "replication (deploy/kafka)"),
                       json);
  }
  ::umask(077);  // whatever RocksDB creates in the backup is private too
  const std::string data = context.options().data_dir;
  const std::string& out = flags.out;
  if (absl::Status created = CreatePrivateDir(out); !created.ok()) {
    return ReportError(
        absl::InvalidArgumentError(fmt::format("--out: {}", std::string(created.message()))), json);
  }
  auto incomplete = [&](const absl::Status& status) {
    if (!json) {
      std::cerr << fmt::format(
          "the backup in {} is incomplete (it has no {}); restore refuses it: remove it\n", out,
          kBackupManifestName);
    }
    return ReportError(status, json);
  };

  BackupManifest manifest;
  manifest.created = Rfc3339UtcNow();
  manifest.source = std::filesystem::absolute(data).lexically_normal().string();
  if (absl::Status copied = CheckpointLog(data + "/log", out + "/log", flags.wait_seconds);
      !copied.ok()) {
    return incomplete(copied);
  }
  if (absl::Status unshared = UnshareHardLinks(out + "/log"); !unshared.ok()) {
    return incomplete(unshared);
  }
  manifest.copied.push_back("log");
  if (absl::Status copied = CopyTreePrivately(data + "/keys", out + "/keys"); !copied.ok()) {
    return incomplete(copied);
  }
  manifest.copied.push_back("keys");
  // Patients' data keys (ledger/data_keys.h), after the log: every sealed
  // event the log copy holds has its key in this copy.
  if (std::filesystem::exists(std::filesystem::symlink_status(data + "/data-keys"))) {
    if (absl::Status copied = ledger::CopyDataKeyStore(data + "/data-keys", out + "/data-keys");
        !copied.ok()) {
      return incomplete(copied);
    }
    manifest.copied.push_back("data-keys");
  }
  if (std::filesystem::exists(std::filesystem::symlink_status(data + "/witness"))) {
    if (absl::Status copied = CopyTreePrivately(data + "/witness", out + "/witness");
        !copied.ok()) {
      return incomplete(copied);
    }
    manifest.copied.push_back("witness");
  }
  if (absl::Status made = MakeTreePrivate(out); !made.ok()) return incomplete(made);

  // Verified right after it is taken: the copy, with the copied keyring.
  absl::StatusOr<LogVerification> verification = VerifyDataCopy(out, flags.threads, {});
  if (!verification.ok()) return incomplete(verification.status());
  if (!verification->intact()) {
    for (const events::VerificationStop& stop : verification->scan.stops) {
      std::cerr << "INTEGRITY FAILURE " << stop.Describe() << "\n";
    }
    return incomplete(absl::DataLossError(
        "the copied log does not verify: the data directory's log is damaged (see "
        "'careledger verify')"));
  }
  const ledger::ScanReport& scan = verification->scan;
  manifest.log = "embedded:" + manifest.source + "/log";
  manifest.partitions = static_cast<std::int32_t>(scan.digests.size());
  manifest.records = scan.records;
  manifest.verified_checkpoints = scan.checkpoints;
  for (std::size_t p = 0; p < scan.digests.size(); ++p) {
    manifest.checkpoints.push_back(KeptCheckpoint{static_cast<std::int32_t>(p), scan.digests[p]});
  }
  for (const std::string& part : manifest.copied) {
    absl::StatusOr<std::vector<FileFingerprint>> files = FingerprintTree(out + "/" + part);
    if (!files.ok()) return incomplete(files.status());
    for (BackupFile& file : BackupFiles(part, *files)) manifest.files.push_back(std::move(file));
  }
  if (absl::Status written = WriteBackupManifest(out, manifest); !written.ok()) {
    return incomplete(written);
  }

  if (json) {
    nlohmann::json partitions = nlohmann::json::array();
    for (const KeptCheckpoint& checkpoint : manifest.checkpoints) {
      partitions.push_back({{"partition", checkpoint.partition},
                            {"records", checkpoint.digest.record_count},
                            {"last_offset", checkpoint.digest.last_offset},
                            {"running_hash", events::HashHex(checkpoint.digest.running)}});
    }
    PrintJson({{"out", out},
               {"created", manifest.created},
               {"records", manifest.records},
               {"checkpoints", manifest.verified_checkpoints},
               {"copied", manifest.copied},
               {"files", manifest.files.size()},
               {"partitions", partitions}});
  } else {
    std::cout << fmt::format("backup of {} in {} at {}\n", data, out, manifest.created);
    std::cout << fmt::format("  copied: {} ({} files)\n", fmt::join(manifest.copied, ", "),
                             manifest.files.size());
    std::cout << fmt::format("  verified: {} records ({} checkpoints) in {} partitions\n",
                             manifest.records, manifest.verified_checkpoints, manifest.partitions);
    for (const KeptCheckpoint& checkpoint : manifest.checkpoints) {
      std::cout << fmt::format("    partition {}: {} records, running hash {}\n",
                               checkpoint.partition, checkpoint.digest.record_count,
                               events::HashHex(checkpoint.digest.running));
    }
    std::cout << "  not copied: the projection (after a restore: 'careledger project --rebuild')\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterBackup(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<BackupFlags>();
  CLI::App* backup = app.add_subcommand(
      "backup",
      "Copy the embedded log (RocksDB checkpoint), the keys and any witness files into a new "
      "private directory, verify the copy and write its manifest (backup.json). Needs the log "
      "to itself: waits for a running writer, then refuses. The projection is not copied");
  backup->add_option("--out", flags->out, "New (or empty) directory for the backup")->required();
  backup
      ->add_option("--wait", flags->wait_seconds,
                   "Seconds to wait for a writer in another process to finish")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  backup->add_option("--threads", flags->threads, "Signature-checking threads (0 = all cores)");
  backup->callback([run, flags] {
    *run = [flags](const Context& context) { return RunBackup(*flags, context); };
  });
}

}  // namespace careledger::tools
