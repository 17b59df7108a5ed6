#include "ledger/internal/ledger_state.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "events/format.h"
#include "events/plan_fold.h"

namespace careledger::ledger::internal {

LedgerState::LedgerState(std::int32_t partitions, std::size_t remembered_commands)
    : digests_(partitions),
      since_checkpoint_(partitions, 0),
      checkpoints_(partitions),
      remembered_commands_(remembered_commands) {}

const StreamState* LedgerState::Find(const std::string& stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? nullptr : &it->second;
}

void LedgerState::Apply(std::int32_t partition, std::int64_t offset,
                        const careledger::v1::Event& event, const events::Hash& value_hash) {
  StreamState& stream = streams_[event.stream_id()];
  if (event.has_checkpoint()) {
    checkpoints_[partition] = CheckpointMark{offset, digests_[partition], stream.head};
  }
  stream.head = events::StreamHead{event.stream_seq(), value_hash};
  Fold(event, &stream);
  if (!event.command_id().empty()) Remember(ResultOf(event, partition, offset));
  AddToPartition(partition, offset, event, value_hash);
}

void LedgerState::ApplyDecided(std::int32_t partition, const careledger::v1::Event& event) {
  StreamState& stream = streams_[event.stream_id()];
  stream.head.seq = event.stream_seq();
  Fold(event, &stream);
  if (!event.command_id().empty()) Remember(ResultOf(event, partition, -1));
}

void LedgerState::SetHeadHash(const std::string& stream, const events::Hash& value_hash) {
  streams_[stream].head.hash = value_hash;
}

void LedgerState::Fold(const careledger::v1::Event& event, StreamState* stream) {
  directory_.Apply(event);
  if (event.has_case_closed()) stream->closed = true;
  if (!events::IsPlanEvent(event)) return;
  if (absl::Status folded = events::FoldPlanEvent(event, &stream->plan); !folded.ok()) {
    // The writer only appends events it decided on this state, so this is a
    // record it did not write (signatures are checked by `careledger verify`
    // and the projector, which stop on it).
    spdlog::warn("{} seq {}: {}", event.stream_id(), event.stream_seq(), folded.message());
  }
  KeepWhatRulesRead(&stream->plan);
}

void KeepWhatRulesRead(careledger::v1::PlanState* plan) {
  // The rules (ledger/plan_rules.h) never read urgent care notes, and of the
  // patient's requests only the open ones: the rest is history, which the
  // projections keep, and would make a plan's state grow with its events.
  plan->clear_notes();
  google::protobuf::RepeatedPtrField<careledger::v1::PatientRequest>* requests =
      plan->mutable_requests();
  requests->erase(std::remove_if(requests->begin(), requests->end(),
                                 [](const careledger::v1::PatientRequest& request) {
                                   return request.resolution() !=
                                          careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED;
                                 }),
                  requests->end());
}

void LedgerState::ApplyPosition(std::int32_t partition, std::int64_t offset,
                                const careledger::v1::Event& event,
                                const events::Hash& /*value_hash*/) {
  Count(partition, event);
  if (!event.command_id().empty()) {
    if (std::optional<careledger::v1::CommandResult> result = FindCommand(event.command_id())) {
      result->set_offset(offset);
      Remember(*result);
    }
  }
}

void LedgerState::ApplyOwnCheckpoint(std::int32_t partition, std::int64_t offset,
                                     const careledger::v1::Event& event,
                                     const events::Hash& value_hash) {
  StreamState& stream = streams_[event.stream_id()];
  checkpoints_[partition] = CheckpointMark{offset, digests_[partition], stream.head};
  stream.head = events::StreamHead{event.stream_seq(), value_hash};
  Count(partition, event);
}

void LedgerState::AddToPartition(std::int32_t partition, std::int64_t offset,
                                 const careledger::v1::Event& event,
                                 const events::Hash& value_hash) {
  digests_[partition].Add(offset, value_hash);
  Count(partition, event);
}

void LedgerState::Count(std::int32_t partition, const careledger::v1::Event& event) {
  ++records_;
  if (event.has_checkpoint()) {
    since_checkpoint_[partition] = 0;
  } else {
    ++since_checkpoint_[partition];
  }
}

std::optional<careledger::v1::CommandResult> LedgerState::FindCommand(
    const std::string& command_id) const {
  auto it = commands_.find(command_id);
  if (it == commands_.end()) return std::nullopt;
  careledger::v1::CommandResult result;
  // Serialized by Remember from a valid message: parsing cannot fail.
  result.ParseFromString(it->second);
  result.set_command_id(command_id);
  return result;
}

void LedgerState::Remember(const careledger::v1::CommandResult& result) {
  careledger::v1::CommandResult without_id = result;
  without_id.clear_command_id();
  std::string value = without_id.SerializeAsString();
  auto it = commands_.find(result.command_id());
  if (it != commands_.end()) {  // a command with several events: keep the last position
    it->second = std::move(value);
    return;
  }
  command_order_.push_back(result.command_id());
  commands_.emplace(std::string_view(command_order_.back()), std::move(value));
  while (command_order_.size() > remembered_commands_) {
    commands_.erase(std::string_view(command_order_.front()));  // before its key goes
    command_order_.pop_front();
  }
}

careledger::v1::CommandResult ResultOf(const careledger::v1::Event& event, std::int32_t partition,
                                       std::int64_t offset) {
  careledger::v1::CommandResult result;
  result.set_command_id(event.command_id());
  result.set_outcome(careledger::v1::OUTCOME_APPLIED);
  result.set_stream_id(event.stream_id());
  result.set_stream_seq(event.stream_seq());
  result.set_partition(partition);
  result.set_offset(offset);
  if (event.has_access_recorded()) {
    const careledger::v1::AccessRecorded& access = event.access_recorded();
    if (access.outcome() == careledger::v1::ACCESS_OUTCOME_DENIED) {
      result.set_outcome(careledger::v1::OUTCOME_REJECTED);
      result.set_error(access.reason());
    } else if (access.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED) {
      careledger::v1::ViewGrant* view = result.mutable_view();
      view->set_view(access.view());
      view->set_version(access.version());
      view->set_stream_seq(access.stream_seq());
      view->set_content_hash(access.content_hash());
      view->set_break_glass(access.break_glass());
      view->set_restricted(access.restricted());
    }
  }
  return result;
}

}  // namespace careledger::ledger::internal
