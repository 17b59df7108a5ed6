#include "ledger/internal/ledger_state.h"

namespace careledger::ledger::internal {

LedgerState::LedgerState(std::int32_t partitions, std::size_t remembered_commands)
    : digests_(partitions),
      since_checkpoint_(partitions, 0),
      remembered_commands_(remembered_commands) {}

const StreamState* LedgerState::Find(const std::string& stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? nullptr : &it->second;
}

void LedgerState::Apply(std::int32_t partition, std::int64_t offset,
                        const careledger::v1::Event& event, const events::Hash& value_hash) {
  ApplySealed(partition, event, value_hash);
  ApplyPosition(partition, offset, event, value_hash);
}

void LedgerState::ApplySealed(std::int32_t partition, const careledger::v1::Event& event,
                              const events::Hash& value_hash) {
  StreamState& stream = streams_[event.stream_id()];
  stream.head = events::StreamHead{event.stream_seq(), value_hash};
  ApplyPlanEvent(event, &stream.plan);
  RememberSealed(partition, event);
}

void LedgerState::Replace(const std::string& stream, StreamState state) {
  streams_.insert_or_assign(stream, std::move(state));
}

void LedgerState::RememberSealed(std::int32_t partition, const careledger::v1::Event& event) {
  if (!event.command_id().empty()) {
    careledger::v1::CommandResult result;
    result.set_command_id(event.command_id());
    result.set_outcome(careledger::v1::OUTCOME_APPLIED);
    result.set_stream_id(event.stream_id());
    result.set_stream_seq(event.stream_seq());
    result.set_partition(partition);
    result.set_offset(-1);
    Remember(std::move(result));
  }
}

void LedgerState::ApplyPosition(std::int32_t partition, std::int64_t offset,
                                const careledger::v1::Event& event,
                                const events::Hash& value_hash) {
  digests_[partition].Add(offset, value_hash);
  ++records_;
  if (event.has_checkpoint()) {
    since_checkpoint_[partition] = 0;
  } else {
    ++since_checkpoint_[partition];
  }
  if (!event.command_id().empty()) {
    auto it = commands_.find(event.command_id());
    if (it != commands_.end()) it->second.set_offset(offset);
  }
}

const careledger::v1::CommandResult* LedgerState::FindCommand(const std::string& command_id) const {
  auto it = commands_.find(command_id);
  return it == commands_.end() ? nullptr : &it->second;
}

void LedgerState::Remember(careledger::v1::CommandResult result) {
  auto [it, inserted] = commands_.insert_or_assign(result.command_id(), std::move(result));
  if (!inserted) return;  // a command with several events: keep the last position
  command_order_.push_back(it->first);
  while (command_order_.size() > remembered_commands_) {
    commands_.erase(command_order_.front());
    command_order_.pop_front();
  }
}

}  // namespace careledger::ledger::internal
