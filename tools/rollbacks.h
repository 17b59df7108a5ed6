// <data>/witness/rollbacks.jsonl: every restore the operator accepted
// although the restored log was shorter than, or different from, what a
// witness had seen (`careledger restore --accept-rollback`). One JSON object
// per line, appended and fsynced, never rewritten:
//
//   {"time": "2025-01-31T12:00:00Z", "backup": "/backups/monday",
//    "backup_created": "2025-01-27T02:00:00Z",
//    "partitions": [{"partition": 1, "witnessed_last_offset": 80,
//                    "witnessed_records": 81, "restored_last_offset": 60,
//                    "restored_records": 61, "lost_records": 20,
//                    "differs": false, "witnesses": ["projection"]}],
//    "failures": ["partition 1: ..."]}
//
// A partition is listed when some witness saw more of it than the restored
// log holds (lost_records > 0: offsets restored_last_offset+1 ..
// witnessed_last_offset were acknowledged and are gone) or saw a different
// history up to an offset the restored log reaches (differs).
#ifndef CARELEDGER_TOOLS_ROLLBACKS_H_
#define CARELEDGER_TOOLS_ROLLBACKS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace careledger::tools {

inline constexpr char kRollbacksFile[] = "witness/rollbacks.jsonl";  // in the data directory

struct RolledBackPartition {
  std::int32_t partition = 0;
  std::int64_t witnessed_last_offset = -1;
  std::uint64_t witnessed_records = 0;
  std::int64_t restored_last_offset = -1;
  std::uint64_t restored_records = 0;
  std::uint64_t lost_records = 0;      // acknowledged records the restored log lacks
  bool differs = false;                // a witness saw another history
  std::vector<std::string> witnesses;  // which witnesses, e.g. "projection", "kept:FILE"

  bool operator==(const RolledBackPartition&) const = default;
};

struct RollbackRecord {
  std::string time;            // RFC 3339 UTC, when the restore was accepted
  std::string backup;          // the backup directory restored
  std::string backup_created;  // its manifest's time
  std::vector<RolledBackPartition> partitions;
  std::vector<std::string> failures;  // the witnesses' own words

  bool operator==(const RollbackRecord&) const = default;
};

// Appends `record` to <data_dir>/witness/rollbacks.jsonl (the directory is
// created 0700 and the file 0600 if missing; a symlink is refused).
// The record as JSON: one line of the rollbacks file, and what `restore
// --json` prints of it.
nlohmann::json RollbackJson(const RollbackRecord& record);

absl::Status AppendRollback(const std::string& data_dir, const RollbackRecord& record);

// Every recorded rollback, oldest first; empty when the file does not exist.
// DATA_LOSS naming the line for a line that does not parse.
absl::StatusOr<std::vector<RollbackRecord>> ReadRollbacks(const std::string& data_dir);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_ROLLBACKS_H_
