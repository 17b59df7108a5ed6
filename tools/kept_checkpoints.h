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

// Reads that JSON from the file at `path`. INVALID_ARGUMENT naming what is
// wrong.
absl::StatusOr<std::vector<KeptCheckpoint>> ReadKeptCheckpoints(const std::string& path);

// Parses that JSON from `text`, naming `path` in errors as
// ReadKeptCheckpoints does. Any text gives a result or INVALID_ARGUMENT.
absl::StatusOr<std::vector<KeptCheckpoint>> ParseKeptCheckpoints(std::string_view text,
                                                                 const std::string& path);

// Compares kept checkpoints with the log as it is now. Call Observe for every
// verified record (in offset order per partition), then Failures().
class KeptCheckpointCheck {
 public:
  KeptCheckpointCheck(std::vector<KeptCheckpoint> kept, std::int32_t partitions);

  void Observe(std::int32_t partition, const events::VerifiedRecord& record);

  // One line per kept checkpoint the log contradicts: the log now ends
  // before it (a cut tail) or hashes differently up to it (rewritten history).
  std::vector<std::string> Failures() const;

 private:
  std::vector<KeptCheckpoint> kept_;
  std::vector<events::PartitionDigest> digests_;  // running, per partition
  std::vector<bool> matched_;
  std::vector<std::string> mismatches_;
};

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_KEPT_CHECKPOINTS_H_
