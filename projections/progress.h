// Where a projection store stands in the log: per-partition progress (next
// offset, digest, stop), per-stream heads, and the log's partition count, all
// in the store's meta family. The projector writes them in the same batch as
// the changes they cover, so they always describe exactly what was applied.
//
// Thread safety: the read functions may be called from any thread, also while
// a projector is writing; each returns one committed state per key.
#ifndef CARELEDGER_PROJECTIONS_PROGRESS_H_
#define CARELEDGER_PROJECTIONS_PROGRESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "events/chain.h"
#include "events/failure.h"
#include "events/partition_digest.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// The kind name of a stop at a record that verified but contradicts the
// projected state (e.g. an approval with no draft): a ledger bug to
// investigate, never skipped.
inline constexpr std::string_view kInconsistentEventKind = "inconsistent_event";

// The first record of a partition the projector would not apply. Nothing at
// or after `offset` in that partition is applied until a run gets past it.
struct PartitionStop {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string stream_id;  // the record key
  // Why verification failed, or nullopt for an inconsistent event.
  std::optional<events::FailureKind> failure;
  // For people: "partition 2 offset 17 stream 'patient/...': bad_signature: ...".
  std::string reason;

  // FailureKindName(*failure), or kInconsistentEventKind.
  std::string_view KindName() const;
  bool operator==(const PartitionStop&) const = default;
};

struct PartitionProgress {
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;    // the first offset not yet applied
  events::PartitionDigest digest;  // over every applied record
  std::optional<PartitionStop> stop;

  bool operator==(const PartitionProgress&) const = default;
};

// The partition count of the log the store was built from; 0 for a store no
// projector has run on yet.
absl::StatusOr<std::int32_t> ReadPartitionCount(const ProjectionStore& store);

// The progress of partitions 0..partition_count-1; a partition with nothing
// stored yet is at offset 0 with an empty digest. DATA_LOSS for an unreadable
// record.
absl::StatusOr<std::vector<PartitionProgress>> ReadProgress(const ProjectionStore& store,
                                                            std::int32_t partition_count);

// The head of `stream_id` after the last applied record, or {0, zeros} for a
// stream with no applied record. DATA_LOSS for an unreadable record.
absl::StatusOr<events::StreamHead> ReadStreamHead(const ProjectionStore& store,
                                                  std::string_view stream_id);

// The next offset of every partition (empty before the first run).
absl::StatusOr<std::vector<std::int64_t>> ReadOffsets(const ProjectionStore& store);

// The stops recorded by the last run of each partition, in partition order.
absl::StatusOr<std::vector<PartitionStop>> ReadStops(const ProjectionStore& store);

void PutPartitionCount(std::int32_t partition_count, StoreBatch* batch);
void PutProgress(const PartitionProgress& progress, StoreBatch* batch);
void PutStreamHead(std::string_view stream_id, const events::StreamHead& head, StoreBatch* batch);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_PROGRESS_H_
