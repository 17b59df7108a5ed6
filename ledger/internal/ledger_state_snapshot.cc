// LedgerState to and from careledger.v1.WriterSnapshot (docs/snapshots.md).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "ledger/internal/ledger_state.h"

namespace careledger::ledger::internal {
namespace {

std::string HashBytes(const events::Hash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

bool HashFromBytes(const std::string& bytes, events::Hash* out) {
  if (bytes.size() != out->size()) return false;
  std::memcpy(out->data(), bytes.data(), out->size());
  return true;
}

void DigestToProto(const events::PartitionDigest& digest, careledger::v1::SnapshotDigest* out) {
  out->set_running_hash(HashBytes(digest.running));
  out->set_last_offset(digest.last_offset);
  out->set_record_count(digest.record_count);
}

bool DigestFromProto(const careledger::v1::SnapshotDigest& in, events::PartitionDigest* out) {
  out->last_offset = in.last_offset();
  out->record_count = in.record_count();
  return HashFromBytes(in.running_hash(), &out->running);
}

}  // namespace

absl::StatusOr<careledger::v1::WriterSnapshot> LedgerState::ToSnapshot() const {
  careledger::v1::WriterSnapshot snapshot;
  snapshot.set_format_version(1);
  snapshot.set_partition_count(static_cast<std::int32_t>(digests_.size()));
  snapshot.set_records(records_);
  for (std::size_t p = 0; p < digests_.size(); ++p) {
    const CheckpointMark& mark = checkpoints_[p];
    const bool at_prefix = digests_[p] == mark.stated;
    if (mark.offset < 0 || (!at_prefix && digests_[p].last_offset != mark.offset)) {
      return absl::FailedPreconditionError(fmt::format(
          "partition {} was folded past its last checkpoint's prefix (folded to {}, the "
          "checkpoint at {} covers to {})",
          p, digests_[p].last_offset, mark.offset, mark.stated.last_offset));
    }
    careledger::v1::SnapshotPosition* position = snapshot.add_positions();
    position->set_partition(static_cast<std::int32_t>(p));
    position->set_checkpoint_offset(mark.offset);
    DigestToProto(mark.stated, position->mutable_stated());
    position->set_previous_seq(mark.previous.seq);
    position->set_previous_hash(HashBytes(mark.previous.hash));
    if (!at_prefix) DigestToProto(digests_[p], position->mutable_after());
  }
  // Sorted, so one state always gives the same bytes.
  std::vector<const std::pair<const std::string, StreamState>*> streams;
  streams.reserve(streams_.size());
  for (const auto& entry : streams_) streams.push_back(&entry);
  std::sort(streams.begin(), streams.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* entry : streams) {
    careledger::v1::SnapshotStream* stream = snapshot.add_streams();
    stream->set_stream_id(entry->first);
    stream->set_seq(entry->second.head.seq);
    stream->set_head_hash(HashBytes(entry->second.head.hash));
    if (entry->second.plan.ByteSizeLong() > 0) *stream->mutable_plan() = entry->second.plan;
    stream->set_case_closed(entry->second.closed);
  }
  snapshot.mutable_command_ids()->Reserve(static_cast<int>(command_order_.size()));
  snapshot.mutable_command_outcomes()->Reserve(static_cast<int>(command_order_.size()));
  for (const std::string& id : command_order_) {
    auto it = commands_.find(id);
    if (it == commands_.end()) continue;
    snapshot.add_command_ids(id);
    snapshot.add_command_outcomes(it->second);
  }
  directory_.ExportTo(&snapshot);
  return snapshot;
}

absl::StatusOr<std::unique_ptr<LedgerState>> LedgerState::FromSnapshot(
    careledger::v1::WriterSnapshot& snapshot, std::int32_t partitions,
    std::size_t remembered_commands) {
  if (snapshot.format_version() != 1) {
    return absl::InvalidArgumentError(
        fmt::format("unknown snapshot format version {}", snapshot.format_version()));
  }
  if (snapshot.partition_count() != partitions || snapshot.positions_size() != partitions) {
    return absl::InvalidArgumentError(
        fmt::format("the snapshot is of {} partitions ({} positions), the log has {}",
                    snapshot.partition_count(), snapshot.positions_size(), partitions));
  }
  auto state = std::make_unique<LedgerState>(partitions, remembered_commands);
  for (std::int32_t p = 0; p < partitions; ++p) {
    const careledger::v1::SnapshotPosition& position = snapshot.positions(p);
    CheckpointMark& mark = state->checkpoints_[p];
    mark.offset = position.checkpoint_offset();
    mark.previous.seq = position.previous_seq();
    if (position.partition() != p || mark.offset < 0 ||
        !DigestFromProto(position.stated(), &mark.stated) ||
        !HashFromBytes(position.previous_hash(), &mark.previous.hash) ||
        // At the covered prefix (no `after`), or just after the checkpoint.
        !DigestFromProto(position.has_after() ? position.after() : position.stated(),
                         &state->digests_[p]) ||
        (position.has_after() && state->digests_[p].last_offset != mark.offset)) {
      return absl::InvalidArgumentError(
          fmt::format("the snapshot's position for partition {} is malformed", p));
    }
  }
  state->streams_.reserve(snapshot.streams_size());
  for (const careledger::v1::SnapshotStream& stream : snapshot.streams()) {
    StreamState& entry = state->streams_[stream.stream_id()];
    entry.head.seq = stream.seq();
    if (!HashFromBytes(stream.head_hash(), &entry.head.hash)) {
      return absl::InvalidArgumentError(
          fmt::format("the snapshot's head of stream '{}' is malformed", stream.stream_id()));
    }
    if (stream.has_plan()) entry.plan = stream.plan();
    entry.closed = stream.case_closed();
  }
  if (snapshot.command_ids_size() != snapshot.command_outcomes_size()) {
    return absl::InvalidArgumentError("the snapshot's command ids and outcomes differ in number");
  }
  state->commands_.reserve(static_cast<std::size_t>(snapshot.command_ids_size()));
  for (int i = 0; i < snapshot.command_ids_size(); ++i) {
    std::string* id = snapshot.mutable_command_ids(i);
    if (state->commands_.contains(*id)) continue;
    state->command_order_.push_back(std::move(*id));
    state->commands_.emplace(std::string_view(state->command_order_.back()),
                             std::move(*snapshot.mutable_command_outcomes(i)));
    while (state->command_order_.size() > remembered_commands) {
      state->commands_.erase(std::string_view(state->command_order_.front()));
      state->command_order_.pop_front();
    }
  }
  snapshot.clear_command_ids();
  snapshot.clear_command_outcomes();
  state->directory_.ImportFrom(snapshot);
  state->records_ = snapshot.records();
  return state;
}

}  // namespace careledger::ledger::internal
