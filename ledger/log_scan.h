// Reads a whole log from the beginning to its end, verifying every record in
// order per partition (events/partition_verifier.h). The one routine behind
// the writer's start-up recovery and `careledger verify`.
#ifndef CARELEDGER_LEDGER_LOG_SCAN_H_
#define CARELEDGER_LEDGER_LOG_SCAN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/keyring.h"
#include "events/partition_verifier.h"
#include "ledger/log.h"

namespace careledger::ledger {

struct ScanReport {
  std::uint64_t records = 0;      // verified records
  std::uint64_t checkpoints = 0;  // verified checkpoints among them
  // The first untrusted record of each partition that has one, by partition.
  std::vector<events::VerificationStop> stops;
  std::vector<events::PartitionDigest> digests;  // per partition, of verified records
  std::string log_id;                            // from partition 0's genesis; "" if it has none
};

// Called for every verified record, in offset order within its partition.
using VerifiedRecordVisitor =
    std::function<void(std::int32_t partition, const events::VerifiedRecord& record)>;

// Reads `reader` from offset 0 of every partition to the end. Every partition
// must begin with its genesis (ledger/genesis.h), all naming one log: an
// empty partition, or one of another log, is a stop at its offset 0. With a keyring,
// signatures and key windows are checked too; with nullptr only envelopes,
// chains and checkpoints. A partition stops at its first bad record (reported
// in `stops`, nothing after it is visited); the others go on. Errors are the
// reader's own.
absl::StatusOr<ScanReport> ScanLog(LogReader& reader, const events::Keyring* keyring, int threads,
                                   const VerifiedRecordVisitor& visit);

// Where a scan that does not begin at offset 0 starts (the writer resuming
// from a snapshot, docs/snapshots.md): per partition, the first offset read
// and the digest of every record before it; the heads of streams the scan
// has not seen; the log id the skipped genesis records named. The records
// before the start are not read: whoever supplies a ScanStart vouches for them.
struct ScanStart {
  std::vector<std::int64_t> offsets;
  std::vector<events::PartitionDigest> digests;
  events::HeadLookup heads;
  std::string log_id;
};

// ScanLog from `start`: the same checks on every record read (chains from
// start.heads, checkpoints against the continued digests). A partition that
// ends before its start offset - 1 is the reader's DATA_LOSS (LogReader::Seek).
absl::StatusOr<ScanReport> ScanLogFrom(LogReader& reader, const events::Keyring* keyring,
                                       int threads, const ScanStart& start,
                                       const VerifiedRecordVisitor& visit);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_LOG_SCAN_H_
