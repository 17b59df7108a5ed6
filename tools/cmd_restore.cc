// careledger restore --from DIR: puts a backup (`careledger backup`) back as
// the data directory's log and keys (docs/backup.md).
//
//  1. The copy is checked completely before anything changes: every file
//     against the manifest's SHA-256, then every record verified with the
//     backup's keyring (what `verify` does, tools/log_verification.h), and
//     its per-partition ends and digests against the manifest.
//  2. It is compared with every witness in the data directory
//     (tools/restore_witnesses.h). A copy shorter than, or different from, a
//     witness is a rollback: refused with exit 4, unless
//     --accept-rollback, which restores it and appends the loss to
//     <data>/witness/rollbacks.jsonl (tools/rollbacks.h).
//  3. Nothing is deleted: an existing log and keys are replaced only with
//     --force and are moved aside (log.replaced-<UTC time>), and so is the
//     projection and the writer snapshots (both are of the old log). The copy is
//     staged in <data>/.restore-<UTC time>, checked there, and renamed into
//     place; the staging directory is removed when the restore is refused.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "events/format.h"
#include "tools/backup_copy.h"
#include "tools/backup_manifest.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/private_files.h"
#include "tools/restore_witnesses.h"
#include "tools/rollbacks.h"
#include "tools/witnesses.h"

namespace careledger::tools {
namespace {

namespace fs = std::filesystem;

struct RestoreFlags {
  std::string from;
  std::vector<std::string> kept_paths;
  bool force = false;
  bool accept_rollback = false;
  int threads = 0;
};

bool Exists(const std::string& path) {
  std::error_code error;
  return fs::exists(fs::symlink_status(path, error));
}

// Holds RocksDB's lock file of an existing log (the same fcntl write lock a
// writer takes) for the whole restore, so no writer starts on the log being
// replaced; FAILED_PRECONDITION when a process holds it now.
class LogLock {
 public:
  ~LogLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Acquire(const std::string& log_dir) {
    const std::string path = log_dir + "/LOCK";
    if (!Exists(path)) return absl::OkStatus();
    fd_ = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) return absl::InternalError(fmt::format("cannot open {}", path));
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_SETLK, &lock) != 0) {
      return absl::FailedPreconditionError(fmt::format(
          "another careledger process is using the log in {}: stop it before restoring", log_dir));
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

// The staging directory: removed unless Keep() was called (a refused restore
// leaves nothing behind; only this command's own copy is removed).
class Staging {
 public:
  explicit Staging(std::string path) : path_(std::move(path)) {}
  ~Staging() {
    if (!kept_) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    }
  }
  const std::string& path() const { return path_; }
  void Keep() { kept_ = true; }

 private:
  std::string path_;
  bool kept_ = false;
};

void PrintRollback(const RollbackRecord& rollback, const BackupManifest& manifest,
                   const std::string& data, bool accepted) {
  std::cout << fmt::format("ROLLBACK: the backup taken at {} is behind what witnesses saw:\n",
                           manifest.created);
  for (const RolledBackPartition& p : rollback.partitions) {
    std::cout << fmt::format(
        "  partition {}: witnessed up to offset {} ({} records, by {}); the backup ends at "
        "offset {} ({} records){}\n",
        p.partition, p.witnessed_last_offset, p.witnessed_records, fmt::join(p.witnesses, ", "),
        p.restored_last_offset, p.restored_records,
        p.differs ? ": another history"
                  : fmt::format(": {} acknowledged records would be lost", p.lost_records));
  }
  for (const std::string& failure : rollback.failures) std::cout << "  " << failure << "\n";
  if (accepted) {
    std::cout << fmt::format("Accepted (--accept-rollback): recorded in {}/{}\n", data,
                             kRollbacksFile);
  } else {
    std::cout << "Refused: nothing was changed. To restore this backup anyway, and record the "
                 "loss in the data directory, add --accept-rollback.\n";
  }
}

// Exit 4 with what is wrong with the backup.
int ReportDamagedBackup(const std::string& from, const std::vector<std::string>& problems,
                        bool json) {
  if (json) {
    PrintJson({{"ok", false}, {"from", from}, {"backup_failures", problems}});
  } else {
    for (const std::string& problem : problems) {
      std::cout << "INTEGRITY FAILURE backup: " << problem << "\n";
    }
    std::cout << fmt::format("FAILED: the backup in {} is damaged; nothing was restored.\n", from);
  }
  return kExitIntegrity;
}

// Moves `path` aside to `path`.replaced-<stamp> if it exists; returns where.
absl::StatusOr<std::string> MoveAside(const std::string& path, const std::string& stamp) {
  if (!Exists(path)) return std::string();
  const std::string aside = fmt::format("{}.replaced-{}", path, stamp);
  if (absl::Status moved = RenameNoReplace(path, aside); !moved.ok()) return moved;
  return aside;
}

int RunRestore(const RestoreFlags& flags, const Context& context) {
  const bool json = context.json();
  if (context.options().log != "embedded") {
    return ReportError(
        absl::InvalidArgumentError("restore puts back an embedded log; --log must be embedded"),
        json);
  }
  ::umask(077);
  const std::string data = context.options().data_dir;
  const std::string& from = flags.from;
  if (!fs::is_directory(from)) {
    return ReportError(
        absl::InvalidArgumentError(fmt::format("--from {}: no such directory", from)), json);
  }
  absl::StatusOr<BackupManifest> manifest = ReadBackupManifest(from);
  if (!manifest.ok())
    return ReportDamagedBackup(from, {std::string(manifest.status().message())}, json);

  const bool has_log = Exists(data + "/log");
  const bool has_keys = Exists(data + "/keys");
  if ((has_log || has_keys) && !flags.force) {
    return ReportError(
        absl::InvalidArgumentError(fmt::format(
            "{} already has {}: restore replaces them only with --force (they are moved aside "
            "to <name>.replaced-<UTC time>, never deleted)",
            data, has_log ? (has_keys ? "a log and keys" : "a log") : "keys")),
        json);
  }
  LogLock lock;
  if (has_log) {
    if (absl::Status locked = lock.Acquire(data + "/log"); !locked.ok()) {
      return ReportError(locked, json);
    }
  }

  // The witnesses, read before anything in the data directory changes.
  WitnessSources sources{data, context.ProjectionDir(), flags.kept_paths, flags.threads,
                         HeadWitnessPath(context)};
  absl::StatusOr<Witnesses> witnesses = GatherWitnesses(sources);
  if (!witnesses.ok()) return ReportError(witnesses.status(), json);

  // Stage the copy next to its place, and check the staged bytes.
  if (!Exists(data)) {
    if (absl::Status created = CreatePrivateDir(data); !created.ok()) {
      return ReportError(created, json);
    }
  }
  const std::string stamp = CompactUtcNow();
  Staging staging(fmt::format("{}/.restore-{}", data, stamp));
  if (absl::Status created = CreatePrivateDir(staging.path()); !created.ok()) {
    staging.Keep();  // not this command's to remove
    return ReportError(created, json);
  }
  for (const std::string& part : manifest->copied) {
    if (!Exists(from + "/" + part)) continue;  // its files are reported missing below
    if (absl::Status copied = CopyTreePrivately(from + "/" + part, staging.path() + "/" + part);
        !copied.ok()) {
      return ReportDamagedBackup(from, {std::string(copied.message())}, json);
    }
  }
  absl::StatusOr<std::vector<std::string>> problems = CheckBackupFiles(staging.path(), *manifest);
  if (!problems.ok())
    return ReportDamagedBackup(from, {std::string(problems.status().message())}, json);
  if (!problems->empty()) return ReportDamagedBackup(from, *problems, json);

  WitnessComparison comparison(*witnesses, manifest->partitions);
  absl::StatusOr<LogVerification> verification =
      VerifyDataCopy(staging.path(), flags.threads, manifest->checkpoints,
                     [&](std::int32_t partition, const events::VerifiedRecord& record) {
                       comparison.Observe(partition, record);
                     });
  if (!verification.ok()) {
    return ReportDamagedBackup(
        from,
        {fmt::format("its log cannot be read: {}", std::string(verification.status().message()))},
        json);
  }
  std::vector<std::string> failures;
  for (const events::VerificationStop& stop : verification->scan.stops) {
    failures.push_back(stop.Describe());
  }
  for (const std::string& failure : verification->kept_failures) {
    failures.push_back("against its manifest: " + failure);
  }
  const std::vector<events::PartitionDigest>& digests = verification->scan.digests;
  if (static_cast<std::int32_t>(digests.size()) != manifest->partitions) {
    failures.push_back(fmt::format("its log has {} partitions, its manifest {}", digests.size(),
                                   manifest->partitions));
  } else {
    for (std::int32_t p = 0; p < manifest->partitions; ++p) {
      const events::PartitionDigest& listed = manifest->checkpoints[p].digest;
      if (!(digests[p] == listed)) {
        failures.push_back(fmt::format(
            "partition {}: its log ends at offset {} ({} records, running hash {}), its manifest "
            "says offset {} ({} records, {})",
            p, digests[p].last_offset, digests[p].record_count, events::HashHex(digests[p].running),
            listed.last_offset, listed.record_count, events::HashHex(listed.running)));
      }
    }
  }
  if (!failures.empty()) return ReportDamagedBackup(from, failures, json);

  RollbackRecord rollback = comparison.Rollback(digests);
  const bool rolled_back = !rollback.failures.empty();
  if (rolled_back) {
    if (!flags.accept_rollback) {
      if (json) {
        nlohmann::json document = RollbackJson(rollback);
        document["ok"] = false;
        document["rollback"] = true;
        document["from"] = from;
        document["notes"] = witnesses->notes;
        PrintJson(document);
      } else {
        PrintRollback(rollback, *manifest, data, /*accepted=*/false);
      }
      return kExitIntegrity;
    }
    rollback.time = Rfc3339UtcNow();
    rollback.backup = fs::absolute(from).lexically_normal().string();
    rollback.backup_created = manifest->created;
  }

  // Install: move the old parts aside, rename the staged ones into place.
  std::vector<std::string> moved_aside;
  // Writer snapshots are of the replaced log: moved aside with it.
  for (const std::string& path :
       {data + "/log", data + "/keys", data + "/data-keys", context.ProjectionDir(),
        context.SnapshotDir()}) {
    absl::StatusOr<std::string> aside = MoveAside(path, stamp);
    if (!aside.ok()) {
      staging.Keep();
      return ReportError(aside.status(), json);
    }
    if (!aside->empty()) moved_aside.push_back(*aside);
  }
  for (const std::string& part : manifest->copied) {
    std::string target = data + "/" + part;
    // The data directory's own witnesses stay: they saw its history. The
    // backup's are put beside them.
    if (part == "witness" && Exists(target))
      target = fmt::format("{}.from-backup-{}", target, stamp);
    if (absl::Status renamed = RenameNoReplace(staging.path() + "/" + part, target);
        !renamed.ok()) {
      staging.Keep();
      return ReportError(renamed, json);
    }
  }
  if (rolled_back) {
    if (absl::Status recorded = AppendRollback(data, rollback); !recorded.ok()) {
      return ReportError(recorded, json);
    }
    // The writer's head file saw the lost records; with the rollback on
    // record (and reported by every verify), it is kept aside, not deleted,
    // so the restored log can be written again.
    absl::StatusOr<std::string> aside = MoveAside(HeadWitnessPath(context), stamp);
    if (!aside.ok()) return ReportError(aside.status(), json);
    if (!aside->empty()) moved_aside.push_back(*aside);
  }
  if (absl::Status synced = SyncDir(data); !synced.ok()) return ReportError(synced, json);

  if (json) {
    nlohmann::json document{{"ok", true},
                            {"from", from},
                            {"backup_created", manifest->created},
                            {"records", verification->scan.records},
                            {"moved_aside", moved_aside},
                            {"notes", witnesses->notes},
                            {"rollback", rolled_back}};
    if (rolled_back) document["rollback_record"] = RollbackJson(rollback);
    PrintJson(document);
  } else {
    if (rolled_back) PrintRollback(rollback, *manifest, data, /*accepted=*/true);
    std::cout << fmt::format(
        "restored {} (taken at {}) into {}: {} records in {} partitions verified ({} "
        "checkpoints)\n",
        from, manifest->created, data, verification->scan.records, digests.size(),
        verification->scan.checkpoints);
    for (const std::string& note : witnesses->notes) std::cout << "  note: " << note << "\n";
    for (const std::string& aside : moved_aside) std::cout << "  moved aside: " << aside << "\n";
    std::cout << fmt::format("next: 'careledger --data {} project' rebuilds the projection\n",
                             data);
  }
  return kExitOk;
}

}  // namespace

void RegisterRestore(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<RestoreFlags>();
  CLI::App* restore = app.add_subcommand(
      "restore",
      "Restore a backup into the data directory (--data): verify every file and record of it, "
      "compare it with the projection's progress, --kept checkpoints and the existing log; a "
      "backup behind any of them is a rollback (exit 4). Never deletes: the old log, keys and "
      "projection are moved aside (with --force)");
  restore->add_option("--from", flags->from, "The backup directory ('careledger backup --out')")
      ->required();
  restore->add_option("--kept", flags->kept_paths,
                      "Checkpoints kept from 'careledger --json checkpoint' (repeatable): "
                      "witnesses the backup must reach");
  restore->add_flag("--force", flags->force,
                    "Replace an existing log and keys (moved aside, never deleted)");
  restore->add_flag("--accept-rollback", flags->accept_rollback,
                    "Restore even a backup behind a witness; the loss is recorded in "
                    "<data>/witness/rollbacks.jsonl");
  restore->add_option("--threads", flags->threads, "Signature-checking threads (0 = all cores)");
  restore->callback([run, flags] {
    *run = [flags](const Context& context) { return RunRestore(*flags, context); };
  });
}

}  // namespace careledger::tools
