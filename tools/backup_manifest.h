// backup.json, the manifest `careledger backup` writes last into a backup
// directory (its presence marks a complete backup) and `careledger restore`
// checks before it trusts anything in it:
//
//   {"format": "careledger-backup/1",
//    "created": "2025-01-31T12:00:00Z",          when the copy was taken (UTC)
//    "source": "/srv/careledger",                the data directory copied
//    "log": "embedded:/srv/careledger/log",
//    "partitions": 4, "records": 1234, "verified_checkpoints": 12,
//    "checkpoints": [{"partition", "last_offset", "record_count",
//                     "running_hash"}],        per partition, of the copy
//    "copied": ["log", "keys", "witness"],
//    "not_copied": ["projection"],
//    "files": [{"path": "log/000012.sst", "size", "sha256"}]}
//
// "checkpoints" is the per-partition end and running digest
// (events::PartitionDigest) of the copied log, found by verifying the copy
// right after it was taken, in the format of `careledger --json checkpoint`:
// the manifest is also a kept-checkpoint file for `verify --kept`.
// "files" lists every file of the backup but the manifest, with its SHA-256,
// so a changed, missing or added file is named before RocksDB reads it.
#ifndef CARELEDGER_TOOLS_BACKUP_MANIFEST_H_
#define CARELEDGER_TOOLS_BACKUP_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/kept_checkpoints.h"
#include "tools/private_files.h"

namespace careledger::tools {

inline constexpr char kBackupManifestName[] = "backup.json";
inline constexpr char kBackupFormat[] = "careledger-backup/1";

struct BackupFile {
  std::string path;  // relative to the backup directory
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex

  bool operator==(const BackupFile&) const = default;
};

struct BackupManifest {
  std::string created;  // RFC 3339 UTC
  std::string source;
  std::string log;
  std::int32_t partitions = 0;
  std::uint64_t records = 0;
  std::uint64_t verified_checkpoints = 0;
  std::vector<KeptCheckpoint> checkpoints;  // one per partition
  std::vector<std::string> copied;
  std::vector<BackupFile> files;
};

// The manifest's entries for `fingerprints` of the tree `prefix` (e.g. "log").
std::vector<BackupFile> BackupFiles(const std::string& prefix,
                                    const std::vector<FileFingerprint>& fingerprints);

// Writes `manifest` as <dir>/backup.json (new file, 0600).
absl::Status WriteBackupManifest(const std::string& dir, const BackupManifest& manifest);

// Reads <dir>/backup.json. NOT_FOUND when missing; DATA_LOSS naming the field
// when it does not parse as a manifest of this format.
absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& dir);

// Compares the files of the backup in `dir` with the manifest's list: one
// line per file changed, missing or not listed (empty: the files are as
// copied).
absl::StatusOr<std::vector<std::string>> CheckBackupFiles(const std::string& dir,
                                                          const BackupManifest& manifest);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BACKUP_MANIFEST_H_
