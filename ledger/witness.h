// Witnesses: places other than the log that know how far it reached and what
// it held (docs/witnesses.md). Each states, for one partition, the digest
// (events/partition_digest.h) of every record up to an offset: the
// projection's stored progress, the writer's head file, checkpoints an
// auditor kept (`careledger --json checkpoint`), a backup's manifest. As with
// RFC 9162's consistency between a kept signed tree head and today's tree, a
// witness holds when today's log has a record at the witnessed offset and its
// running digest there equals the witnessed one; a log that ends before it
// lost acknowledged records, one that hashes differently was rewritten.
#ifndef CARELEDGER_LEDGER_WITNESS_H_
#define CARELEDGER_LEDGER_WITNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/partition_digest.h"
#include "events/partition_verifier.h"

namespace careledger::ledger {

struct Witness {
  std::int32_t partition = 0;
  events::PartitionDigest digest;  // of every record up to digest.last_offset
  std::string source = "witness";  // for people: "projection", "writer heads", a file, ...
};

// Compares witnesses with a log read in full. Call Observe for every verified
// record (offset order per partition, from offset 0), then Failures().
// Not thread-safe.
class WitnessCheck {
 public:
  WitnessCheck(std::vector<Witness> witnesses, std::int32_t partitions);

  void Observe(std::int32_t partition, const events::VerifiedRecord& record);

  // Starts `partition` at `digest`, for a scan that resumes after the
  // records up to digest.last_offset (a writer snapshot) instead of at offset
  // 0. A witness of the partition at exactly that offset is compared with
  // `digest` now; one before it cannot be checked without reading from
  // offset 0: a line naming each such witness is returned, and the caller
  // must then read the whole log.
  std::vector<std::string> Resume(std::int32_t partition, const events::PartitionDigest& digest);

  // One line per witness the log contradicts: it ends before the witnessed
  // offset (a cut tail, acknowledged records lost) or hashes differently up
  // to it (rewritten history). Each line names the witness's source.
  std::vector<std::string> Failures() const;

  // The witnesses the log satisfied, in the order given.
  std::vector<Witness> Confirmed() const;

  // What the log says of each witness, in the order given.
  enum class Outcome {
    kConfirmed,  // the log reaches it and hashes the same up to it
    kRewritten,  // the log reaches it but hashes differently
    kCut,        // the verified log ends before it (or lacks its partition)
  };
  std::vector<Outcome> Outcomes() const;

 private:
  // Witness i's offset is reached with `digest`: records whether it agrees.
  void Reach(std::size_t i, const events::PartitionDigest& digest);

  std::vector<Witness> witnesses_;
  std::vector<events::PartitionDigest> digests_;  // running, per partition
  std::vector<bool> reached_;                     // the log had a record at the witnessed offset
  std::vector<bool> matched_;                     // ... and the same digest there
  std::vector<std::string> mismatches_;
};

// 64 lowercase hex digits to a hash; false when `hex` is not that.
bool HashFromHex(const std::string& hex, events::Hash* out);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_WITNESS_H_
