// The embedded backend of the Log (DESIGN §4): the same records in a RocksDB
// column family "log" keyed by (partition, offset), each Append one WriteBatch
// written with sync=true (concurrent appends are group-committed by RocksDB).
//
// Key: partition as 4 bytes big-endian || offset as 8 bytes big-endian, so a
// partition's records sort by offset. Value: careledger.v1.EmbeddedRecord
// {key, value}. Offsets are contiguous from 0 in every partition.
//
// One process owns the database and may write (RocksDB's lock fences any
// other); readers in other processes open it as a RocksDB secondary instance
// and follow the owner's writes.
//
// Strictness (docs/storage.md): a log is created only in kCreate mode (by
// `careledger init`); every other open refuses a missing or damaged log and
// never creates, repairs or deletes anything. RocksDB runs with its strictest
// settings: paranoid checks, WAL recovery that drops only a torn last record, WALs tracked
// in the MANIFEST (a deleted or shortened synced WAL fails the open), file
// consistency checks, and checksums verified on every read. Readers also
// check that offsets are contiguous from 0: a missing record is DATA_LOSS at
// its position, never skipped. The stored partition count must lie in
// [1, kMaxPartitions]; the signed genesis records (ledger/genesis.h) then
// prove it.
#ifndef CARELEDGER_LEDGER_EMBEDDED_LOG_H_
#define CARELEDGER_LEDGER_EMBEDDED_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/log.h"

namespace careledger::ledger {

// The most partitions a log may have (the CLI's --partitions bound too).
inline constexpr std::int32_t kMaxPartitions = 1024;

enum class EmbeddedLogMode {
  kCreate,    // a new log; ALREADY_EXISTS when `path` already holds files
  kOwner,     // an existing log, opened to write
  kFollower,  // an existing log, read-only as a RocksDB secondary instance;
              // OpenWriter is then FAILED_PRECONDITION
};

struct EmbeddedLogOptions {
  std::string path;             // a directory
  std::int32_t partitions = 4;  // used only by kCreate
  EmbeddedLogMode mode = EmbeddedLogMode::kOwner;
};

// Opens the log. A log created with N partitions keeps N.
// Errors:
//  - NOT_FOUND: `path` does not exist (kOwner, kFollower). Nothing is created.
//  - DATA_LOSS: `path` exists but the log is damaged or incomplete (CURRENT,
//    MANIFEST, a table or a tracked WAL missing, a checksum mismatch, a bad
//    stored partition count), naming what; nothing is changed.
//  - FAILED_PRECONDITION: another process owns the log (kOwner, kCreate).
//  - ALREADY_EXISTS: kCreate on a directory that is not empty.
absl::StatusOr<std::unique_ptr<Log>> OpenEmbeddedLog(const EmbeddedLogOptions& options);

// Copies the log at `path` into the new directory `checkpoint_dir` with
// RocksDB's Checkpoint: a consistent, openable copy of the database as of
// one moment. It opens the log as its owner, so it needs RocksDB's lock:
// FAILED_PRECONDITION while another process writes the log (a secondary
// cannot stop the owner deleting files mid-copy). NOT_FOUND when there is no
// log at `path`. On the same filesystem RocksDB hard-links the table files.
absl::Status CheckpointEmbeddedLog(const std::string& path, const std::string& checkpoint_dir);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_EMBEDDED_LOG_H_
