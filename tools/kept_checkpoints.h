// Kept checkpoints: the per-partition digests `careledger checkpoint` prints
// for an auditor to store outside the ledger, and the check that the log
// still holds exactly the history they describe (nothing cut, nothing
// rewritten before them).
#ifndef CARELEDGER_TOOLS_KEPT_CHECKPOINTS_H_
#define CARELEDGER_TOOLS_KEPT_CHECKPOINTS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "events/partition_digest.h"
#include "ledger/log_scan.h"
#include "ledger/witness.h"

namespace careledger::tools {

// A kept checkpoint is a witness (ledger/witness.h) whose source is the file.
using KeptCheckpoint = ledger::Witness;
using KeptCheckpointCheck = ledger::WitnessCheck;

// {"log": ..., "checkpoints": [{"partition", "last_offset", "record_count",
// "running_hash" (hex)}]}: what `careledger --json checkpoint` prints.
nlohmann::json KeptCheckpointsJson(const std::string& log,
                                   const std::vector<events::PartitionDigest>& digests);

// Reads that JSON from the file at `path`; each witness names `path` as its
// source. INVALID_ARGUMENT naming what is wrong.
absl::StatusOr<std::vector<KeptCheckpoint>> ReadKeptCheckpoints(const std::string& path);

// Parses that JSON from `text`, naming `path` in errors as
// ReadKeptCheckpoints does. Any text gives a result or INVALID_ARGUMENT.
absl::StatusOr<std::vector<KeptCheckpoint>> ParseKeptCheckpoints(std::string_view text,
                                                                 const std::string& path);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_KEPT_CHECKPOINTS_H_
