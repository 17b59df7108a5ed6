// The writer's head file: after every durable append the writer states, in a
// small file outside the log (<data>/witness/heads.json), every partition's
// digest, so that the log is not the only place that knows how far it
// reached. Written with write-to-temporary-and-rename but not fsynced: the log
// is always fsynced first, so the file never claims more than the log holds,
// and losing the file's last update to a crash only makes the witness older.
//
// Format: {"log_id": "...", "heads": [{"partition", "last_offset",
// "record_count", "running_hash" (64 hex digits)}]}.
#ifndef CARELEDGER_LEDGER_HEAD_WITNESS_H_
#define CARELEDGER_LEDGER_HEAD_WITNESS_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/partition_digest.h"
#include "ledger/witness.h"

namespace careledger::ledger {

// Replaces the file at `path` with `digests` (mode 0600). Errors are I/O.
absl::Status WriteHeadWitness(const std::string& path,
                              std::span<const events::PartitionDigest> digests);

// The witnesses the file states, each with source "writer heads <path>".
// NOT_FOUND when there is no file; DATA_LOSS when it does not parse.
absl::StatusOr<std::vector<Witness>> ReadHeadWitness(const std::string& path);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_HEAD_WITNESS_H_
