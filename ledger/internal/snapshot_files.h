// Writer snapshot files (docs/snapshots.md): "<dir>/<name>-<records>.pb",
// <records> the snapshot's record count as 20 digits, so the newest sorts
// last. Each holds a careledger.v1.WriterSnapshotFile: the serialized
// WriterSnapshot and the SHA-256 of those bytes. Private to ledger/.
#ifndef CARELEDGER_LEDGER_INTERNAL_SNAPSHOT_FILES_H_
#define CARELEDGER_LEDGER_INTERNAL_SNAPSHOT_FILES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/snapshot.pb.h"

namespace careledger::ledger::internal {

// How many snapshot files of one name are kept; older ones are removed after
// a new one is in place.
inline constexpr std::size_t kKeptSnapshots = 2;

// Writes `snapshot` to a new file in `dir` (created 0700 if missing): to a
// temporary file, fsynced, renamed into place, the directory fsynced; then
// removes all but the newest kKeptSnapshots. Returns the file's path.
// INTERNAL on I/O failure (nothing half-written is left under the name).
absl::StatusOr<std::string> WriteSnapshotFile(const std::string& dir, const std::string& name,
                                              const careledger::v1::WriterSnapshot& snapshot);

// The snapshot files of `name` in `dir`, newest first; none when the
// directory does not exist.
std::vector<std::string> ListSnapshotFiles(const std::string& dir, const std::string& name);

// Reads and checks one file. NOT_FOUND when it cannot be read; DATA_LOSS
// when it does not parse or its SHA-256 does not match its bytes.
absl::StatusOr<careledger::v1::WriterSnapshot> ReadSnapshotFile(const std::string& path);

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_SNAPSHOT_FILES_H_
