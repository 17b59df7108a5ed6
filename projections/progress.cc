#include "projections/progress.h"

#include <fmt/format.h>

#include "careledger/v1/projection.pb.h"
#include "events/envelope.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

// The failure kind named `name`, or nullopt for kInconsistentEventKind (and
// for a name this build does not know).
std::optional<events::FailureKind> FailureKindFromName(std::string_view name) {
  constexpr int kLast = static_cast<int>(events::FailureKind::kCheckpointMismatch);
  for (int k = 0; k <= kLast; ++k) {
    const auto kind = static_cast<events::FailureKind>(k);
    if (events::FailureKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

absl::Status Unreadable(std::string_view what, std::string_view key) {
  return absl::DataLossError(
      fmt::format("projection store: unreadable {} at meta key '{}'", what, std::string(key)));
}

absl::StatusOr<PartitionProgress> DecodeProgress(std::string_view key, std::string_view bytes) {
  careledger::v1::StoredPartitionProgress stored;
  PartitionProgress progress;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !events::HashFromBytes(stored.running_hash(), &progress.digest.running)) {
    return Unreadable("partition progress", key);
  }
  progress.partition = stored.partition();
  progress.next_offset = stored.next_offset();
  progress.digest.last_offset = stored.digest_last_offset();
  progress.digest.record_count = stored.digest_record_count();
  if (stored.has_stop()) {
    const careledger::v1::StoredPartitionStop& stop = stored.stop();
    progress.stop = PartitionStop{stored.partition(), stop.offset(), stop.stream_id(),
                                  FailureKindFromName(stop.kind()), stop.reason()};
  }
  return progress;
}

}  // namespace

std::string_view PartitionStop::KindName() const {
  return failure ? events::FailureKindName(*failure) : kInconsistentEventKind;
}

absl::StatusOr<std::int32_t> ReadPartitionCount(const ProjectionStore& store) {
  absl::StatusOr<std::optional<std::string>> bytes =
      store.Get(StoreFamily::kMeta, internal::kPartitionCountKey);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return 0;
  careledger::v1::LogShape shape;
  if (!shape.ParseFromString(**bytes) || shape.partition_count() < 1) {
    return Unreadable("partition count", internal::kPartitionCountKey);
  }
  return shape.partition_count();
}

absl::StatusOr<std::vector<PartitionProgress>> ReadProgress(const ProjectionStore& store,
                                                            std::int32_t partition_count) {
  std::vector<PartitionProgress> progress(partition_count);
  for (std::int32_t p = 0; p < partition_count; ++p) progress[p].partition = p;
  absl::Status decoded;
  absl::Status scanned =
      store.Scan(StoreFamily::kMeta, internal::kProgressPrefix,
                 [&](std::string_view key, std::string_view value) {
                   absl::StatusOr<PartitionProgress> one = DecodeProgress(key, value);
                   if (!one.ok()) {
                     decoded = one.status();
                     return false;
                   }
                   if (one->partition < 0 || one->partition >= partition_count) {
                     decoded = absl::DataLossError(fmt::format(
                         "projection store: progress for partition {} of a {}-partition log",
                         one->partition, partition_count));
                     return false;
                   }
                   progress[one->partition] = *std::move(one);
                   return true;
                 });
  if (!scanned.ok()) return scanned;
  if (!decoded.ok()) return decoded;
  return progress;
}

absl::StatusOr<events::StreamHead> ReadStreamHead(const ProjectionStore& store,
                                                  std::string_view stream_id) {
  const std::string key = internal::HeadKey(stream_id);
  absl::StatusOr<std::optional<std::string>> bytes = store.Get(StoreFamily::kMeta, key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return events::StreamHead{};
  careledger::v1::StoredStreamHead stored;
  events::StreamHead head;
  if (!stored.ParseFromString(**bytes) || !events::HashFromBytes(stored.hash(), &head.hash)) {
    return Unreadable("stream head", key);
  }
  head.seq = stored.seq();
  return head;
}

absl::StatusOr<std::vector<std::int64_t>> ReadOffsets(const ProjectionStore& store) {
  absl::StatusOr<std::int32_t> count = ReadPartitionCount(store);
  if (!count.ok()) return count.status();
  absl::StatusOr<std::vector<PartitionProgress>> progress = ReadProgress(store, *count);
  if (!progress.ok()) return progress.status();
  std::vector<std::int64_t> offsets;
  for (const PartitionProgress& partition : *progress) offsets.push_back(partition.next_offset);
  return offsets;
}

absl::StatusOr<std::vector<PartitionStop>> ReadStops(const ProjectionStore& store) {
  absl::StatusOr<std::int32_t> count = ReadPartitionCount(store);
  if (!count.ok()) return count.status();
  absl::StatusOr<std::vector<PartitionProgress>> progress = ReadProgress(store, *count);
  if (!progress.ok()) return progress.status();
  std::vector<PartitionStop> stops;
  for (const PartitionProgress& partition : *progress) {
    if (partition.stop) stops.push_back(*partition.stop);
  }
  return stops;
}

void PutPartitionCount(std::int32_t partition_count, StoreBatch* batch) {
  careledger::v1::LogShape shape;
  shape.set_partition_count(partition_count);
  batch->Put(StoreFamily::kMeta, internal::kPartitionCountKey,
             events::SerializeDeterministic(shape));
}

void PutProgress(const PartitionProgress& progress, StoreBatch* batch) {
  careledger::v1::StoredPartitionProgress stored;
  stored.set_partition(progress.partition);
  stored.set_next_offset(progress.next_offset);
  stored.set_running_hash(events::HashBytes(progress.digest.running));
  stored.set_digest_last_offset(progress.digest.last_offset);
  stored.set_digest_record_count(progress.digest.record_count);
  if (progress.stop) {
    careledger::v1::StoredPartitionStop* stop = stored.mutable_stop();
    stop->set_offset(progress.stop->offset);
    stop->set_stream_id(progress.stop->stream_id);
    stop->set_kind(std::string(progress.stop->KindName()));
    stop->set_reason(progress.stop->reason);
  }
  batch->Put(StoreFamily::kMeta, internal::ProgressKey(progress.partition),
             events::SerializeDeterministic(stored));
}

void PutStreamHead(std::string_view stream_id, const events::StreamHead& head, StoreBatch* batch) {
  careledger::v1::StoredStreamHead stored;
  stored.set_seq(head.seq);
  stored.set_hash(events::HashBytes(head.hash));
  batch->Put(StoreFamily::kMeta, internal::HeadKey(stream_id),
             events::SerializeDeterministic(stored));
}

}  // namespace careledger::projections
