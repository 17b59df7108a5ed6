// Verifies one partition's records in offset order: each record's envelope,
// signature and key window, its stream's chain (no gap, no duplicate, no
// break) and every checkpoint against the partition's running digest.
//
// A checkpoint covers an explicit prefix of its partition (docs/envelope.md,
// "Checkpoints"): its `last_offset` is a record before its own offset and not
// before the previous checkpoint's `last_offset`, and it must state the
// running digest at exactly that record. A log with one appender has every
// checkpoint covering everything before it; a log with read replicas
// (docs/replicas.md) may have records of other appenders between the
// covered prefix and the checkpoint. The verifier keeps the digest at each
// record since the previous covered prefix (at most kMaxUncovered).
//
// Signatures of a batch are checked in parallel; chains and digests advance
// strictly in order. Used by `careledger verify` and by the projector.
// Not thread-safe: one verifier per partition, used by one thread at a time.
#ifndef CARELEDGER_EVENTS_PARTITION_VERIFIER_H_
#define CARELEDGER_EVENTS_PARTITION_VERIFIER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "events/chain.h"
#include "events/envelope.h"
#include "events/keyring.h"
#include "events/partition_digest.h"
#include "events/record.h"

namespace careledger::events {

// Supplies the head of a stream the verifier has not seen in this run (the
// projector reads it from its store; a full verify starts from empty heads).
using HeadLookup = std::function<absl::StatusOr<StreamHead>(std::string_view stream_id)>;

struct VerifiedRecord {
  std::int64_t offset = 0;
  OpenedRecord opened;
  // Whether its event was written sealed (events/sealed_body.h): set by
  // whoever opens the sealed content (the projector), false until then.
  bool sealed = false;
};

// Where and why verification stopped.
struct VerificationStop {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string stream_id;  // the record key, which may be all a corrupt record has
  absl::Status reason;    // carries a FailureKind (events/failure.h)

  // "partition 2 offset 17 stream 'patient/9990000018': bad_signature: ..."
  std::string Describe() const;
};

struct BatchVerification {
  std::vector<VerifiedRecord> verified;  // every record before the stop, in order
  std::optional<VerificationStop> stop;  // set at the first untrusted record
};

class PartitionVerifier {
 public:
  // `keyring` must outlive the verifier; nullptr checks envelopes, chains and
  // checkpoints but not signatures (the writer's recovery of its own log,
  // where `careledger verify` and the projector do the full check).
  // `threads` bounds signature checking.
  PartitionVerifier(std::int32_t partition, const Keyring* keyring, HeadLookup lookup, int threads);

  // How many records after the last covered prefix the verifier keeps
  // digests for; a checkpoint covering a prefix older than that is refused.
  static constexpr std::size_t kMaxUncovered = 200'000;

  // Continues from a known digest (the projector resuming, a snapshot
  // start-up). The records before it are not known to this verifier: a
  // checkpoint that covers a prefix ending before `digest` cannot be checked
  // here, is accepted and counted in unchecked_checkpoints() (a whole read,
  // `careledger verify`, checks it), until the first checkpoint checked.
  void Resume(const PartitionDigest& digest);

  // Requires the partition's first record to be its genesis
  // (careledger.v1.LogGenesis) stating this partition and `partition_count`,
  // and no genesis after it. Every reader of a whole log (the writer's
  // recovery, `careledger verify`, the projector) requires it; unit tests of
  // other rules may leave it off.
  void RequireGenesis(std::int32_t partition_count) { genesis_partitions_ = partition_count; }

  // Records this process signed (events/own_signatures.h; not owned, may be
  // nullptr) are not verified again: the service's projector reading back
  // its writer's records. Their keys are still looked up in the keyring.
  void SkipOwnSignatures(const OwnSignatures* own) { own_ = own; }

  // Verifies `records`, which must all belong to this partition. Verified
  // records advance the verifier's heads and digest; after a stop, nothing
  // past the bad record is looked at and the verifier must not be reused.
  BatchVerification Verify(std::span<const LogRecord> records);

  const PartitionDigest& digest() const { return digest_; }
  // Checkpoints accepted after Resume without a check (see Resume).
  std::uint64_t unchecked_checkpoints() const { return unchecked_checkpoints_; }
  // Heads of the streams seen so far in this run.
  const absl::flat_hash_map<std::string, StreamHead>& heads() const { return heads_; }

 private:
  absl::Status CheckInOrder(const LogRecord& record, const OpenedRecord& opened);
  absl::Status CheckGenesis(const OpenedRecord& opened) const;
  // Checks a checkpoint at `offset` against the digest of the prefix it
  // names, and then forgets the digests before that prefix.
  absl::Status CheckCoveredPrefix(std::int64_t offset,
                                  const careledger::v1::Checkpoint& checkpoint);

  std::int32_t partition_;
  const Keyring* keyring_;
  const OwnSignatures* own_ = nullptr;
  HeadLookup lookup_;
  int threads_;
  PartitionDigest digest_;
  std::int32_t genesis_partitions_ = 0;  // 0: genesis not required
  absl::flat_hash_map<std::string, StreamHead> heads_;
  // The digest at the previous checkpoint's covered prefix (or the start, or
  // the resumed digest) and at every record since, in offset order; never
  // empty.
  std::deque<PartitionDigest> since_covered_{PartitionDigest{}};
  // The previous checkpoint's last_offset; nullopt after Resume until a
  // checkpoint is checked.
  std::optional<std::int64_t> covered_offset_ = -1;
  bool trimmed_ = false;  // since_covered_ lost its front to kMaxUncovered
  std::uint64_t unchecked_checkpoints_ = 0;
};

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_PARTITION_VERIFIER_H_
