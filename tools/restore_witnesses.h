// The witnesses `careledger restore` compares a backup with: whatever outside
// the backup saw how far the log reached, per partition, and with which
// running digest. A backup whose log is shorter than, or different from,
// any of them is a rollback (acknowledged records would vanish).
//
// Sources: the projection's stored progress, the writer's head file,
// kept-checkpoint files (`--kept`), and the data directory's existing log if
// it still reads. A new source adds a WitnessSource.
#ifndef CARELEDGER_TOOLS_RESTORE_WITNESSES_H_
#define CARELEDGER_TOOLS_RESTORE_WITNESSES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/partition_verifier.h"
#include "tools/kept_checkpoints.h"
#include "tools/rollbacks.h"

namespace careledger::tools {

struct WitnessSource {
  std::string name;                         // "projection", "kept:FILE", "existing log"
  std::optional<std::int32_t> partitions;   // the partition count it saw, if it knows
  std::vector<KeptCheckpoint> checkpoints;  // how far it saw each partition
};

struct Witnesses {
  std::vector<WitnessSource> witnesses;
  std::vector<std::string> notes;  // sources not available, and why
};

struct WitnessSources {
  std::string data_dir;
  std::string projection_dir;
  std::vector<std::string> kept_paths;
  int threads = 0;
  std::string heads_path;  // the writer's head file (tools/witnesses.h)
};

// Reads every source. A kept file that cannot be read is an error
// (INVALID_ARGUMENT); a projection or existing log that is missing or
// unreadable is only noted (restoring is what one does when they are gone).
absl::StatusOr<Witnesses> GatherWitnesses(const WitnessSources& sources);

// Compares a log with the witnesses while it is verified: call Observe for
// every verified record of it, then Rollback with its scan's digests.
class WitnessComparison {
 public:
  WitnessComparison(const Witnesses& witnesses, std::int32_t partitions);

  void Observe(std::int32_t partition, const events::VerifiedRecord& record);

  // The partitions where a witness saw more than `digests` hold, or another
  // history, and the failures in words; empty partitions and failures when
  // every witness is consistent with the log.
  RollbackRecord Rollback(const std::vector<events::PartitionDigest>& digests) const;

 private:
  struct Source {
    std::string witness;
    KeptCheckpoint checkpoint;
  };
  std::vector<Source> sources_;  // parallel to the check's kept checkpoints
  std::vector<std::string> partition_mismatches_;
  KeptCheckpointCheck check_;
};

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_RESTORE_WITNESSES_H_
