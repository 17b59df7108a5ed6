// How the writer rebuilds its state at start-up (docs/snapshots.md): from the
// whole log, or from a writer snapshot and the log after it. Both apply the
// same checks to every record they read (ledger/log_scan.h) and refuse a log
// that contradicts a witness. Private to ledger/.
#ifndef CARELEDGER_LEDGER_INTERNAL_RECOVERY_H_
#define CARELEDGER_LEDGER_INTERNAL_RECOVERY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/keyring.h"
#include "events/sealed_body.h"
#include "ledger/internal/ledger_state.h"
#include "ledger/log.h"
#include "ledger/witness.h"

namespace careledger::ledger::internal {

struct RecoveryOptions {
  std::size_t remembered_commands = 0;
  int threads = 1;
  std::vector<Witness> witnesses;
  // Opens sealed plan events (events/sealed_body.h); nullptr refuses a log
  // that holds any.
  const events::DataKeys* data_keys = nullptr;
  // Records signed by a read replica's node key are checked against
  // ledger/foreign_record.h (signatures too, with this keyring when set);
  // one that breaks it refuses the log. The writer's own access stream.
  const events::Keyring* keyring = nullptr;
  std::string writer_access_stream;
};

struct Recovered {
  std::unique_ptr<LedgerState> state;
  std::string log_id;
  std::uint64_t records_read = 0;  // from the log, in this recovery
};

// The whole log. DATA_LOSS naming the first bad record, or the witness the
// log contradicts; the log's own errors otherwise.
absl::StatusOr<Recovered> RecoverFromLog(Log& log, const RecoveryOptions& options);

// What a snapshot start-up came to, when the log did not have to be refused.
struct SnapshotRecovery {
  std::optional<Recovered> recovered;  // set when the snapshot was used
  std::string unusable;                // else why not: read the whole log
};

// The snapshot file at `path` checked against the log, then the log after
// it. The snapshot is unusable (returned with the reason, nothing trusted)
// when it cannot be read, its SHA-256 does not hold, it is of another log
// (log id, partition count), some position does not hold a signed checkpoint
// record stating exactly the snapshot's digest and chaining exactly as the
// snapshot says, or a witness lies before its position (only a whole read
// can check it). Errors (the log must not be extended): DATA_LOSS when the
// log has no genesis (empty: everything the snapshot saw was lost) or a
// partition ends before the snapshot's checkpoint (acknowledged records were
// lost), a record after the snapshot does not verify, or the log
// contradicts a witness; the log's own errors otherwise.
absl::StatusOr<SnapshotRecovery> RecoverFromSnapshot(Log& log, const std::string& path,
                                                     const RecoveryOptions& options);

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_RECOVERY_H_
