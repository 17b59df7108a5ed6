#include "projections/projector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "events/failure.h"
#include "events/format.h"
#include "events/partition_verifier.h"
#include "events/time_util.h"
#include "projections/audit_projection.h"
#include "projections/directory_projection.h"
#include "projections/erasure_purge.h"
#include "projections/history_projection.h"
#include "projections/plan_projection.h"
#include "projections/stats_projection.h"

namespace careledger::projections {
namespace {

// One partition's share of a read batch, once verified.
struct PartitionWork {
  std::vector<events::VerifiedRecord> verified;  // to apply, in offset order
  std::optional<PartitionStop> stop;             // the first record not to apply
};

// The first verified record a projection refused.
struct Refusal {
  std::int32_t partition = 0;
  std::size_t index = 0;  // into PartitionWork::verified
  absl::Status reason;
};

// Applies every verified record of `work` to every projection, partition by
// partition, each in offset order.
absl::StatusOr<std::optional<Refusal>> ApplyVerified(
    const std::vector<std::unique_ptr<Projection>>& projections,
    const std::vector<PartitionWork>& work) {
  for (std::size_t p = 0; p < work.size(); ++p) {
    const std::vector<events::VerifiedRecord>& verified = work[p].verified;
    for (std::size_t i = 0; i < verified.size(); ++i) {
      const AppliedEvent event{static_cast<std::int32_t>(p), verified[i].offset,
                               &verified[i].opened, verified[i].sealed};
      for (const std::unique_ptr<Projection>& projection : projections) {
        absl::Status applied = projection->Apply(event);
        if (absl::IsFailedPrecondition(applied)) {
          return Refusal{static_cast<std::int32_t>(p), i,
                         absl::FailedPreconditionError(
                             fmt::format("{}: {} projection: {}", kInconsistentEventKind,
                                         projection->name(), applied.message()))};
        }
        if (!applied.ok()) return applied;
      }
    }
  }
  return std::nullopt;
}

// Opens every sealed event of `work` in place (events/sealed_body.h). The
// first that cannot be opened ends the partition's work there, as a stop.
void OpenSealed(const events::DataKeys* keys, std::int32_t partition, PartitionWork* work) {
  for (std::size_t i = 0; i < work->verified.size(); ++i) {
    careledger::v1::Event& event = work->verified[i].opened.event;
    absl::StatusOr<events::SealedContent> opened = events::OpenSealedContent(keys, &event);
    if (opened.ok()) {
      work->verified[i].sealed = *opened != events::SealedContent::kClear;
      continue;
    }
    const std::int64_t offset = work->verified[i].offset;
    work->stop =
        PartitionStop{partition, offset, event.stream_id(), events::FailureKindOf(opened.status()),
                      fmt::format("partition {} offset {} stream '{}': {}", partition, offset,
                                  event.stream_id(), opened.status().message())};
    work->verified.erase(work->verified.begin() + static_cast<std::ptrdiff_t>(i),
                         work->verified.end());
    return;
  }
}

// The NHS number of the patient `event` erases: a PatientErased on their
// stream.
std::optional<std::string_view> ErasedPatient(const careledger::v1::Event& event) {
  if (!event.has_patient_erased()) return std::nullopt;
  return NhsNumberOfStream(event.stream_id());
}

PartitionStop StopOf(const events::VerificationStop& stop) {
  return PartitionStop{stop.partition, stop.offset, stop.stream_id,
                       events::FailureKindOf(stop.reason), stop.Describe()};
}

PartitionStop StopOf(const Refusal& refusal, const events::VerifiedRecord& record) {
  const std::string& stream_id = record.opened.event.stream_id();
  return PartitionStop{refusal.partition, record.offset, stream_id, std::nullopt,
                       fmt::format("partition {} offset {} stream '{}': {}", refusal.partition,
                                   record.offset, stream_id, refusal.reason.message())};
}

}  // namespace

// The state of one CatchUp or Follow call.
struct Projector::Run {
  struct Partition {
    std::unique_ptr<events::PartitionVerifier> verifier;
    PartitionProgress committed;  // equals the store's
    bool stopped = false;         // stopped in this run
    bool ended = false;  // reached the end of a replay (ProjectorOptions::end_offsets, until)
  };
  std::vector<Partition> partitions;
};

Projector::Projector(ledger::LogReader* reader, ProjectionStore* store,
                     const events::Keyring* keyring, ProjectorOptions options)
    : reader_(reader), store_(store), keyring_(keyring), options_(options) {
  // Each event goes to each projection in this order; a refusal by any of
  // them stops the partition with none of the event's changes applied.
  auto plans = std::make_unique<PlanProjection>(store_);
  PlanProjection* plan_projection = plans.get();
  projections_.push_back(std::move(plans));
  projections_.push_back(std::make_unique<DirectoryProjection>(store_));
  projections_.push_back(std::make_unique<HistoryProjection>());
  projections_.push_back(std::make_unique<AuditProjection>());
  // After the plans: reads each plan as PlanProjection has just folded it.
  projections_.push_back(std::make_unique<StatsProjection>(store_, plan_projection));
}

Projector::~Projector() = default;

absl::StatusOr<ProjectionReport> Projector::CatchUp() {
  const auto started = std::chrono::steady_clock::now();
  if (absl::Status status = Start(); !status.ok()) return status;
  ProjectionReport report;
  while (!AllStopped()) {
    absl::StatusOr<bool> caught_up = Step(options_.read_wait, &report);
    if (!caught_up.ok()) return caught_up.status();
    if (*caught_up) break;
  }
  for (const Run::Partition& partition : run_->partitions) {
    report.next_offsets.push_back(partition.committed.next_offset);
  }
  report.elapsed = absl::FromChrono(std::chrono::steady_clock::now() - started);
  return report;
}

absl::Status Projector::Follow(std::stop_token stop, std::chrono::milliseconds poll,
                               const FollowObserver& observer) {
  if (absl::Status status = Start(); !status.ok()) return status;
  ProjectionReport report;  // stops are logged and stored, and shown to `observer`
  std::vector<std::int64_t> next_offsets(run_->partitions.size());
  while (!stop.stop_requested()) {
    absl::StatusOr<bool> step = Step(poll, &report);
    if (!step.ok()) return step.status();
    if (!observer) continue;
    for (std::size_t p = 0; p < run_->partitions.size(); ++p) {
      next_offsets[p] = run_->partitions[p].committed.next_offset;
    }
    observer(next_offsets, *step, report);
  }
  return absl::OkStatus();
}

bool Projector::AllStopped() const {
  return std::all_of(
      run_->partitions.begin(), run_->partitions.end(),
      [](const Run::Partition& partition) { return partition.stopped || partition.ended; });
}

absl::Status Projector::Start() {
  run_.reset();
  for (const std::unique_ptr<Projection>& projection : projections_) projection->Discard();

  const std::int32_t count = reader_->partition_count();
  absl::StatusOr<std::int32_t> stored_count = ReadPartitionCount(*store_);
  if (!stored_count.ok()) return stored_count.status();
  if (*stored_count == 0) {
    StoreBatch batch;
    PutPartitionCount(count, &batch);
    if (absl::Status committed = store_->Commit(batch); !committed.ok()) return committed;
  } else if (*stored_count != count) {
    return absl::FailedPreconditionError(
        fmt::format("projection store {} was built from a log with {} partitions but this log "
                    "has {}: delete the store and rebuild it",
                    store_->path(), *stored_count, count));
  }
  // A purge that a crash interrupted is finished before anything else.
  if (absl::Status purged = PurgeErasedContent(store_); !purged.ok()) return purged;
  absl::StatusOr<std::vector<PartitionProgress>> progress = ReadProgress(*store_, count);
  if (!progress.ok()) return progress.status();

  // Streams not seen in this run have their heads in the store: every record
  // applied in this run went through its partition's verifier first.
  const events::HeadLookup lookup = [store = store_](std::string_view stream_id) {
    return ReadStreamHead(*store, stream_id);
  };
  auto run = std::make_unique<Run>();
  std::vector<std::int64_t> next_offsets;
  for (PartitionProgress& partition : *progress) {
    Run::Partition& state = run->partitions.emplace_back();
    state.verifier = std::make_unique<events::PartitionVerifier>(partition.partition, keyring_,
                                                                 lookup, options_.verify_threads);
    state.verifier->RequireGenesis(count);
    state.verifier->SkipOwnSignatures(options_.own_signatures);
    state.verifier->Resume(partition.digest);
    next_offsets.push_back(partition.next_offset);
    const std::size_t p = run->partitions.size() - 1;
    state.ended =
        p < options_.end_offsets.size() && partition.next_offset >= options_.end_offsets[p];
    state.committed = std::move(partition);
  }
  if (absl::Status sought = reader_->Seek(next_offsets); !sought.ok()) return sought;
  run_ = std::move(run);
  return absl::OkStatus();
}

absl::StatusOr<bool> Projector::Step(std::chrono::milliseconds wait, ProjectionReport* report) {
  absl::StatusOr<ledger::ReadBatch> read = reader_->Read(options_.batch_records, wait);
  if (!read.ok()) return read.status();
  const std::size_t count = run_->partitions.size();
  std::vector<bool> ended_before(count);
  for (std::size_t p = 0; p < count; ++p) ended_before[p] = run_->partitions[p].ended;
  std::vector<std::vector<events::LogRecord>> by_partition(count);
  for (events::LogRecord& record : read->records) {
    if (record.partition < 0 || static_cast<std::size_t>(record.partition) >= count) {
      return absl::InternalError(fmt::format(
          "the log reader returned partition {} of a {}-partition log", record.partition, count));
    }
    const auto p = static_cast<std::size_t>(record.partition);
    if (ended_before[p]) continue;
    if (p < options_.end_offsets.size() && record.offset >= options_.end_offsets[p]) {
      run_->partitions[p].ended = true;  // the records before it are in this batch or applied
      continue;
    }
    by_partition[p].push_back(std::move(record));
  }

  // Verify: signatures in parallel inside the verifier, chains in order.
  std::vector<PartitionWork> work(count);
  for (std::size_t p = 0; p < count; ++p) {
    Run::Partition& partition = run_->partitions[p];
    if (partition.stopped || ended_before[p] || by_partition[p].empty()) continue;
    events::BatchVerification verification = partition.verifier->Verify(by_partition[p]);
    if (verification.stop && !events::FailureKindOf(verification.stop->reason)) {
      // Not a verdict on the record: a head lookup (the store) failed.
      return verification.stop->reason;
    }
    work[p].verified = std::move(verification.verified);
    if (verification.stop) work[p].stop = StopOf(*verification.stop);
    OpenSealed(options_.data_keys, static_cast<std::int32_t>(p), &work[p]);
    // A replay to an instant: this partition ends at its first record
    // recorded after it (the stop, if any, lies beyond and is not reached).
    auto after = std::find_if(work[p].verified.begin(), work[p].verified.end(),
                              [this](const events::VerifiedRecord& record) {
                                return events::FromTimestamp(record.opened.event.recorded_at()) >
                                       options_.until;
                              });
    if (after != work[p].verified.end()) {
      work[p].verified.erase(after, work[p].verified.end());
      work[p].stop.reset();
      partition.ended = true;
    }
  }

  // Apply in order. When a projection refuses a record, its partition stops
  // there: drop every pending change and apply the batch again without that
  // record and what follows it in its partition.
  for (;;) {
    absl::StatusOr<std::optional<Refusal>> refused = ApplyVerified(projections_, work);
    if (!refused.ok()) return refused.status();
    if (!refused->has_value()) break;
    for (const std::unique_ptr<Projection>& projection : projections_) projection->Discard();
    const Refusal& refusal = **refused;
    PartitionWork& partition = work[refusal.partition];
    partition.stop = StopOf(refusal, partition.verified[refusal.index]);
    partition.verified.erase(partition.verified.begin() + refusal.index, partition.verified.end());
  }

  // Commit the changes with the progress and heads they imply, atomically.
  StoreBatch batch;
  for (const std::unique_ptr<Projection>& projection : projections_) projection->Flush(&batch);
  std::vector<PartitionProgress> next(count);
  absl::flat_hash_map<std::string, events::StreamHead> heads;
  std::uint64_t applied = 0;
  bool erasures = false;
  for (std::size_t p = 0; p < count; ++p) {
    const PartitionWork& partition = work[p];
    next[p] = run_->partitions[p].committed;
    for (const events::VerifiedRecord& record : partition.verified) {
      next[p].digest.Add(record.offset, record.opened.value_hash);
      heads[record.opened.event.stream_id()] =
          events::StreamHead{record.opened.event.stream_seq(), record.opened.value_hash};
    }
    if (!partition.verified.empty()) {
      next[p].next_offset = partition.verified.back().offset + 1;
      next[p].stop.reset();  // past an earlier run's stop
    }
    if (partition.stop) next[p].stop = partition.stop;
    if (next[p] != run_->partitions[p].committed) PutProgress(next[p], &batch);
    applied += partition.verified.size();
    for (const events::VerifiedRecord& record : partition.verified) {
      if (record.opened.event.has_sealed_body()) ++report->records_erased;
      if (std::optional<std::string_view> erased = ErasedPatient(record.opened.event)) {
        MarkErasure(*erased, &batch);
        erasures = true;
      }
    }
  }
  for (const auto& [stream_id, head] : heads) PutStreamHead(stream_id, head, &batch);
  if (!batch.empty()) {
    if (absl::Status committed = store_->Commit(batch); !committed.ok()) return committed;
  }
  // The erased patients' content, applied opened before their erasure, goes
  // now (projections/erasure_purge.h); their markers were committed above.
  if (erasures) {
    if (absl::Status purged = PurgeErasedContent(store_); !purged.ok()) return purged;
  }

  for (std::size_t p = 0; p < count; ++p) {
    Run::Partition& partition = run_->partitions[p];
    partition.committed = std::move(next[p]);
    if (const std::optional<PartitionStop>& stop = work[p].stop; stop) {
      partition.stopped = true;
      spdlog::error(
          "projection alarm: {}. Partition {} is stopped: nothing at or after offset {} is "
          "applied or skipped until this is resolved",
          stop->reason, stop->partition, stop->offset);
      report->stops.push_back(*stop);
    }
  }
  report->records_applied += applied;
  return read->caught_up;
}

}  // namespace careledger::projections
