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
#ifndef CARELEDGER_LEDGER_EMBEDDED_LOG_H_
#define CARELEDGER_LEDGER_EMBEDDED_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/log.h"

namespace careledger::ledger {

struct EmbeddedLogOptions {
  std::string path;             // a directory; created if missing
  std::int32_t partitions = 4;  // used only when creating the log
  // Open read-only as a secondary instance (another process owns the log).
  // Such a log refuses OpenWriter with FAILED_PRECONDITION.
  bool read_only = false;
};

// Opens (or creates) the log. A log created with N partitions keeps N: the
// option is ignored on reopen. FAILED_PRECONDITION when another process holds
// the log and read_only is false.
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
