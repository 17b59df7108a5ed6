// The state the writer decides from: the fold of every record in the log.
// Private to ledger/. Not thread-safe: owned by the writer's commit thread.
#ifndef CARELEDGER_LEDGER_INTERNAL_LEDGER_STATE_H_
#define CARELEDGER_LEDGER_INTERNAL_LEDGER_STATE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "events/chain.h"
#include "events/partition_digest.h"
#include "ledger/plan_rules.h"

namespace careledger::ledger::internal {

struct StreamState {
  events::StreamHead head;
  PlanState plan;
};

class LedgerState {
 public:
  LedgerState(std::int32_t partitions, std::size_t remembered_commands);

  // The stream's state, or nullptr if the stream has no event yet.
  const StreamState* Find(const std::string& stream) const;

  // Folds in the event stored at (partition, offset) whose value hashes to
  // `value_hash`: ApplySealed then ApplyPosition. The caller has checked that
  // it extends its stream's head.
  void Apply(std::int32_t partition, std::int64_t offset, const careledger::v1::Event& event,
             const events::Hash& value_hash);

  // The part of Apply that needs no log position: the stream's head and plan
  // state, and the command id (remembered with offset -1 until positioned).
  // The writer applies sealed events this way before their append is
  // confirmed; if the append fails it rebuilds the whole state from the log.
  void ApplySealed(std::int32_t partition, const careledger::v1::Event& event,
                   const events::Hash& value_hash);
  // The rest: the partition digest, the checkpoint counter and the command's
  // offset, once the log has confirmed where the event is.
  void ApplyPosition(std::int32_t partition, std::int64_t offset,
                     const careledger::v1::Event& event, const events::Hash& value_hash);

  // ApplySealed for a whole batch at once: the writer decides on copies of the
  // touched streams' states (already holding the batch's events), so it
  // replaces them and remembers each event's command.
  void Replace(const std::string& stream, StreamState state);
  void RememberSealed(std::int32_t partition, const careledger::v1::Event& event);

  // The outcome of the command with this id when it was applied (offset -1
  // while its append is not yet confirmed), or nullptr.
  const careledger::v1::CommandResult* FindCommand(const std::string& command_id) const;

  const events::PartitionDigest& digest(std::int32_t partition) const {
    return digests_[partition];
  }
  // Records appended to `partition` since its last checkpoint.
  std::uint64_t since_checkpoint(std::int32_t partition) const {
    return since_checkpoint_[partition];
  }
  std::size_t stream_count() const { return streams_.size(); }
  std::uint64_t record_count() const { return records_; }

 private:
  void Remember(careledger::v1::CommandResult result);

  absl::flat_hash_map<std::string, StreamState> streams_;
  std::vector<events::PartitionDigest> digests_;
  std::vector<std::uint64_t> since_checkpoint_;
  absl::flat_hash_map<std::string, careledger::v1::CommandResult> commands_;
  std::deque<std::string> command_order_;  // oldest first, for forgetting
  std::size_t remembered_commands_;
  std::uint64_t records_ = 0;
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_LEDGER_STATE_H_
