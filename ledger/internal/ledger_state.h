// The state the writer decides from: the fold of every record in the log.
// Private to ledger/. Not thread-safe: owned by the writer's commit thread.
#ifndef CARELEDGER_LEDGER_INTERNAL_LEDGER_STATE_H_
#define CARELEDGER_LEDGER_INTERNAL_LEDGER_STATE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "careledger/v1/snapshot.pb.h"
#include "events/chain.h"
#include "events/partition_digest.h"
#include "ledger/directory.h"

namespace careledger::ledger::internal {

struct StreamState {
  events::StreamHead head;
  // For patient streams: the fold (events/plan_fold.h) less what the rules
  // never read (KeepWhatRulesRead).
  careledger::v1::PlanState plan;
  // For case streams ("audit/case/<id>"): a CaseClosed is folded in.
  bool closed = false;
};

// Drops from a plan's state what the writer's rules never read: urgent care
// notes and resolved patient requests.
void KeepWhatRulesRead(careledger::v1::PlanState* plan);

// A partition's last checkpoint as folded in: where it is, the digest it
// states (every record before it) and its stream's head before it.
struct CheckpointMark {
  std::int64_t offset = -1;  // -1: none yet
  events::PartitionDigest stated;
  events::StreamHead previous;
};

class LedgerState {
 public:
  LedgerState(std::int32_t partitions, std::size_t remembered_commands);

  // The state as a snapshot (docs/snapshots.md; log_id, writer_id and
  // taken_at are the caller's). FAILED_PRECONDITION unless every partition's
  // digest is the one its last checkpoint states (nothing was folded since
  // the prefix it covers): a snapshot stands at its checkpoints' covered
  // offsets.
  absl::StatusOr<careledger::v1::WriterSnapshot> ToSnapshot() const;
  // The state a snapshot holds; takes the remembered commands out of
  // `snapshot` (moved, not copied: they are most of it). INVALID_ARGUMENT
  // when it is malformed (wrong partition count, bad hash sizes). Checking
  // it against the log is the caller's job (ledger/internal/recovery.h).
  static absl::StatusOr<std::unique_ptr<LedgerState>> FromSnapshot(
      careledger::v1::WriterSnapshot& snapshot, std::int32_t partitions,
      std::size_t remembered_commands);

  // The stream's state, or nullptr if the stream has no event yet.
  const StreamState* Find(const std::string& stream) const;
  const Directory& directory() const { return directory_; }

  // Folds in the event stored at (partition, offset) whose value hashes to
  // `value_hash`: the stream head, plan state, directory, remembered command,
  // partition digest. The caller has checked that it extends its stream.
  void Apply(std::int32_t partition, std::int64_t offset, const careledger::v1::Event& event,
             const events::Hash& value_hash);

  // The writer's speculative path, in two steps. ApplyDecided folds an event
  // the writer has just decided (its stream_seq is the head's + 1) before it
  // is sealed: the head's seq moves, its hash does not (sealing chains on the
  // old hash). SetHeadHash records the sealed value's hash. If the append
  // then fails, the writer rebuilds the whole state from the log.
  void ApplyDecided(std::int32_t partition, const careledger::v1::Event& event);
  void SetHeadHash(const std::string& stream, const events::Hash& value_hash);
  // The rest of Apply, once the log has confirmed where the event is: the
  // checkpoint counter and the command's offset. The partition digest is
  // not advanced: the writer folds its own records into it in offset order
  // with the other appenders' (FoldDigest, Apply), when it reads the log
  // (docs/replicas.md).
  void ApplyPosition(std::int32_t partition, std::int64_t offset,
                     const careledger::v1::Event& event, const events::Hash& value_hash);
  // The writer's own checkpoint, appended at `offset`: stream head, mark
  // (stating the digest folded so far) and counter; not the digest.
  void ApplyOwnCheckpoint(std::int32_t partition, std::int64_t offset,
                          const careledger::v1::Event& event, const events::Hash& value_hash);
  // Folds the writer's own record at `offset` (already applied) into the
  // partition digest.
  void FoldDigest(std::int32_t partition, std::int64_t offset, const events::Hash& value_hash) {
    digests_[partition].Add(offset, value_hash);
  }

  // The outcome of the command with this id (offset -1 while its append is
  // not yet confirmed), or nullopt.
  std::optional<careledger::v1::CommandResult> FindCommand(const std::string& command_id) const;

  const events::PartitionDigest& digest(std::int32_t partition) const {
    return digests_[partition];
  }
  // Records appended to `partition` since its last checkpoint.
  std::uint64_t since_checkpoint(std::int32_t partition) const {
    return since_checkpoint_[partition];
  }
  std::size_t stream_count() const { return streams_.size(); }
  std::uint64_t record_count() const { return records_; }
  const CheckpointMark& last_checkpoint(std::int32_t partition) const {
    return checkpoints_[partition];
  }

 private:
  void Fold(const careledger::v1::Event& event, StreamState* stream);
  void Remember(const careledger::v1::CommandResult& result);
  // The checkpoint counter and record count.
  void Count(std::int32_t partition, const careledger::v1::Event& event);
  // The digest and Count.
  void AddToPartition(std::int32_t partition, std::int64_t offset,
                      const careledger::v1::Event& event, const events::Hash& value_hash);

  absl::flat_hash_map<std::string, StreamState> streams_;
  Directory directory_;
  std::vector<events::PartitionDigest> digests_;
  std::vector<std::uint64_t> since_checkpoint_;
  std::vector<CheckpointMark> checkpoints_;
  // Remembered command outcomes, compact (they are most of the state): each
  // id is held once, in command_order_ (oldest first, for forgetting), whose
  // elements never move while ids are added at the back and removed at the
  // front; commands_ maps a view of it to the CommandResult serialized
  // without its id.
  std::deque<std::string> command_order_;
  absl::flat_hash_map<std::string_view, std::string> commands_;
  std::size_t remembered_commands_;
  std::uint64_t records_ = 0;
};

// What the command that caused `event` was answered: APPLIED, or for an
// access record of a refusal REJECTED with its reason, or for a granted read
// APPLIED with what it may show; at the given position.
careledger::v1::CommandResult ResultOf(const careledger::v1::Event& event, std::int32_t partition,
                                       std::int64_t offset);

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_LEDGER_STATE_H_
