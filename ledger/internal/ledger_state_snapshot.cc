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
    if (mark.offset < 0 || mark.offset != digests_[p].last_offset) {
      return absl::FailedPreconditionError(fmt::format(
          "partition {} does not end at a checkpoint (last record {}, last checkpoint {})", p,
          digests_[p].last_offset, mark.offset));
    }
    careledger::v1::SnapshotPosition* position = snapshot.add_positions();
    position->set_partition(static_cast<std::int32_t>(p));
    position->set_checkpoint_offset(mark.offset);
    DigestToProto(mark.stated, position->mutable_stated());
    position->set_previous_seq(mark.previous.seq);
    position->set_previous_hash(HashBytes(mark.previous.hash));
    DigestToProto(digests_[p], position->mutable_after());
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
  }
  for (const std::string& id : command_order_) {
    auto it = commands_.find(id);
    if (it != commands_.end()) *snapshot.add_commands() = it->second;
  }
  directory_.ExportTo(&snapshot);
  return snapshot;
}

absl::StatusOr<std::unique_ptr<LedgerState>> LedgerState::FromSnapshot(
    const careledger::v1::WriterSnapshot& snapshot, std::int32_t partitions,
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
        !DigestFromProto(position.after(), &state->digests_[p]) ||
        state->digests_[p].last_offset != mark.offset) {
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
  }
  for (const careledger::v1::CommandResult& command : snapshot.commands()) {
    state->Remember(command);
  }
  state->directory_.ImportFrom(snapshot);
  state->records_ = snapshot.records();
  return state;
}

}  // namespace careledger::ledger::internal
