// The UCP migration export's manifest and its signature (docs/migration.md):
//
//   manifest.json  {"format": "careledger-ucp-migration/1",
//                   "created": RFC 3339 UTC,
//                   "log": ..., "checkpoints": [{"partition", "last_offset",
//                     "record_count", "running_hash"}],   the log position per
//                     partition the export reflects (the projection's, in the
//                     kept-checkpoint format of `careledger checkpoint`, so
//                     `verify --kept manifest.json` checks it against the log)
//                   "query": {"stream_id", "stream_seq", "partition",
//                     "offset"},                          the export's own
//                     access record (audit_migration_export)
//                   "plans_exported": N, "left_behind": N,
//                   "files": [{"path", "size", "sha256"}]}  every other file
//   manifest.sig   {"format": "careledger-ucp-migration-signature/1",
//                   "signed_file": "manifest.json", "algorithm": "Ed25519",
//                   "key_id": ..., "signature": base64}
//
// The signature is Ed25519, by the ledger's signing key at `created`, over
// the bytes "careledger.v1.migration-manifest" 0x00 followed by the exact
// bytes of manifest.json. The prefix differs from an event's
// ("careledger.v1.event\0"), so a manifest signature can never pass for an
// event's, nor an event's for a manifest's. A receiver checks it with the
// ledger's public keyring (`careledger keys export`).
#ifndef CARELEDGER_TOOLS_MIGRATE_MANIFEST_H_
#define CARELEDGER_TOOLS_MIGRATE_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "events/keyring.h"
#include "events/partition_digest.h"
#include "ledger/key_store.h"
#include "tools/backup_manifest.h"

namespace careledger::tools {

inline constexpr char kMigrationManifestName[] = "manifest.json";
inline constexpr char kMigrationSignatureName[] = "manifest.sig";
inline constexpr char kMigrationFormat[] = "careledger-ucp-migration/1";
inline constexpr char kMigrationSignatureFormat[] = "careledger-ucp-migration-signature/1";
// The signed bytes' prefix, with its terminating NUL.
inline constexpr std::string_view kMigrationSigningContext{"careledger.v1.migration-manifest\0",
                                                           33};

struct MigrationManifest {
  std::string created;  // RFC 3339 UTC
  std::string log;
  std::vector<events::PartitionDigest> positions;  // partition p at index p
  careledger::v1::CommandResult query;             // the export's access record
  std::uint64_t plans_exported = 0;
  std::uint64_t left_behind = 0;
  std::vector<BackupFile> files;  // every file of the export but the two above
};

// Writes manifest.json and manifest.sig into `dir` (new files, 0600),
// signed by `key`.
absl::Status WriteSignedManifest(const std::string& dir, const MigrationManifest& manifest,
                                 const ledger::ActiveKey& key);

// What a check of an export directory found: one line per problem (a bad or
// missing signature; a file changed, missing or not listed), empty when the
// export is as signed.
struct MigrationCheck {
  std::string key_id;
  std::string created;
  std::uint64_t files = 0;
  std::vector<std::string> problems;
};

// Checks the export in `dir` against `keyring`: the signature (by a key
// valid at the manifest's `created`) and every file's size and SHA-256.
// Errors (not problems): NOT_FOUND when `dir` is not a directory.
absl::StatusOr<MigrationCheck> CheckMigrationExport(const std::string& dir,
                                                    const events::Keyring& keyring);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_MIGRATE_MANIFEST_H_
