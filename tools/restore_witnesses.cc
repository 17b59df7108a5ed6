#include "tools/restore_witnesses.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "events/parallel.h"
#include "ledger/head_witness.h"
#include "ledger/key_store.h"
#include "ledger/log_scan.h"
#include "projections/progress.h"
#include "projections/projection_store.h"
#include "tools/backup_copy.h"

namespace careledger::tools {
namespace {

// What a digest list says of every partition with records.
std::vector<KeptCheckpoint> CheckpointsOf(const std::vector<events::PartitionDigest>& digests) {
  std::vector<KeptCheckpoint> checkpoints;
  for (std::size_t p = 0; p < digests.size(); ++p) {
    if (digests[p].record_count > 0) {
      checkpoints.push_back(KeptCheckpoint{static_cast<std::int32_t>(p), digests[p]});
    }
  }
  return checkpoints;
}

// The projection's stored progress: next offset and digest of what it applied.
absl::StatusOr<std::optional<WitnessSource>> ProjectionWitness(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return std::nullopt;
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> store =
      projections::ProjectionStore::OpenFollower(dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::int32_t> partitions = projections::ReadPartitionCount(**store);
  if (!partitions.ok()) return partitions.status();
  if (*partitions == 0) return std::nullopt;  // nothing projected yet
  absl::StatusOr<std::vector<projections::PartitionProgress>> progress =
      projections::ReadProgress(**store, *partitions);
  if (!progress.ok()) return progress.status();
  std::vector<events::PartitionDigest> digests;
  for (const projections::PartitionProgress& partition : *progress) {
    digests.push_back(partition.digest);
  }
  return WitnessSource{"projection", *partitions, CheckpointsOf(digests)};
}

// The existing log's verified prefix, checked with the data directory's
// keyring when it has one (else chains and checkpoints only).
absl::StatusOr<std::optional<WitnessSource>> ExistingLogWitness(const std::string& data_dir,
                                                                int threads,
                                                                std::vector<std::string>* notes) {
  const std::string path = data_dir + "/log";
  if (!std::filesystem::exists(std::filesystem::symlink_status(path))) return std::nullopt;
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = OpenLogForReading(path);
  if (!log.ok()) return log.status();
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = (*log)->OpenReader();
  if (!reader.ok()) return reader.status();
  absl::StatusOr<ledger::KeyStore> keys = ledger::KeyStore::Open(data_dir + "/keys");
  if (!keys.ok()) {
    notes->push_back(
        fmt::format("the existing log is checked without signatures (its keys do not open: {})",
                    std::string(keys.status().message())));
  }
  absl::StatusOr<ledger::ScanReport> scan =
      ledger::ScanLog(**reader, keys.ok() ? &keys->keyring() : nullptr,
                      threads > 0 ? threads : events::HardwareThreads(), {});
  if (!scan.ok()) return scan.status();
  for (const events::VerificationStop& stop : scan->stops) {
    notes->push_back(
        fmt::format("the existing log is witness only up to its first untrusted "
                    "record: {}",
                    stop.Describe()));
  }
  return WitnessSource{"existing log", (*reader)->partition_count(), CheckpointsOf(scan->digests)};
}

std::vector<KeptCheckpoint> Flatten(const Witnesses& witnesses) {
  std::vector<KeptCheckpoint> all;
  for (const WitnessSource& witness : witnesses.witnesses) {
    all.insert(all.end(), witness.checkpoints.begin(), witness.checkpoints.end());
  }
  return all;
}

}  // namespace

absl::StatusOr<Witnesses> GatherWitnesses(const WitnessSources& sources) {
  Witnesses gathered;
  absl::StatusOr<std::optional<WitnessSource>> projection =
      ProjectionWitness(sources.projection_dir);
  if (!projection.ok()) {
    gathered.notes.push_back(
        fmt::format("the projection in {} cannot be read, so it is no witness: {}",
                    sources.projection_dir, std::string(projection.status().message())));
  } else if (!projection->has_value()) {
    gathered.notes.push_back(fmt::format("no projection progress in {}", sources.projection_dir));
  } else {
    gathered.witnesses.push_back(**std::move(projection));
  }
  absl::StatusOr<std::vector<ledger::Witness>> heads = ledger::ReadHeadWitness(sources.heads_path);
  if (heads.ok()) {
    gathered.witnesses.push_back(
        WitnessSource{"writer heads " + sources.heads_path, std::nullopt, *std::move(heads)});
  } else {
    gathered.notes.push_back(std::string(heads.status().message()));
  }
  for (const std::string& path : sources.kept_paths) {
    absl::StatusOr<std::vector<KeptCheckpoint>> kept = ReadKeptCheckpoints(path);
    if (!kept.ok()) return kept.status();
    gathered.witnesses.push_back(WitnessSource{"kept:" + path, std::nullopt, *std::move(kept)});
  }
  absl::StatusOr<std::optional<WitnessSource>> existing =
      ExistingLogWitness(sources.data_dir, sources.threads, &gathered.notes);
  if (!existing.ok()) {
    gathered.notes.push_back(fmt::format("the existing log cannot be read, so it is no witness: {}",
                                         std::string(existing.status().message())));
  } else if (!existing->has_value()) {
    gathered.notes.push_back("no existing log in the data directory");
  } else {
    gathered.witnesses.push_back(**std::move(existing));
  }
  return gathered;
}

WitnessComparison::WitnessComparison(const Witnesses& witnesses, std::int32_t partitions)
    : check_(Flatten(witnesses), partitions) {
  for (const WitnessSource& witness : witnesses.witnesses) {
    for (const KeptCheckpoint& checkpoint : witness.checkpoints) {
      sources_.push_back(Source{witness.name, checkpoint});
    }
    if (witness.partitions && *witness.partitions != partitions) {
      partition_mismatches_.push_back(
          fmt::format("{} saw a log of {} partitions; the backup has {}: another log", witness.name,
                      *witness.partitions, partitions));
    }
  }
}

void WitnessComparison::Observe(std::int32_t partition, const events::VerifiedRecord& record) {
  check_.Observe(partition, record);
}

RollbackRecord WitnessComparison::Rollback(
    const std::vector<events::PartitionDigest>& digests) const {
  RollbackRecord rollback;
  rollback.failures = partition_mismatches_;
  std::map<std::int32_t, RolledBackPartition> partitions;
  const std::vector<KeptCheckpointCheck::Outcome> outcomes = check_.Outcomes();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (outcomes[i] == KeptCheckpointCheck::Outcome::kConfirmed) continue;
    const KeptCheckpoint& seen = sources_[i].checkpoint;
    const bool known =
        seen.partition >= 0 && seen.partition < static_cast<std::int32_t>(digests.size());
    const events::PartitionDigest restored =
        known ? digests[seen.partition] : events::PartitionDigest{};
    RolledBackPartition& entry = partitions[seen.partition];
    entry.partition = seen.partition;
    entry.restored_last_offset = restored.last_offset;
    entry.restored_records = restored.record_count;
    if (seen.digest.last_offset > entry.witnessed_last_offset) {
      entry.witnessed_last_offset = seen.digest.last_offset;
      entry.witnessed_records = seen.digest.record_count;
    }
    const bool rewritten = outcomes[i] == KeptCheckpointCheck::Outcome::kRewritten;
    entry.differs = entry.differs || rewritten;
    if (!rewritten && seen.digest.record_count > restored.record_count) {
      entry.lost_records =
          std::max(entry.lost_records, seen.digest.record_count - restored.record_count);
    }
    if (std::find(entry.witnesses.begin(), entry.witnesses.end(), sources_[i].witness) ==
        entry.witnesses.end()) {
      entry.witnesses.push_back(sources_[i].witness);
    }
    rollback.failures.push_back(
        rewritten
            ? fmt::format("partition {}: {} saw another history up to offset {} ({} "
                          "records hashing to {})",
                          seen.partition, sources_[i].witness, seen.digest.last_offset,
                          seen.digest.record_count, events::HashHex(seen.digest.running))
            : fmt::format("partition {}: {} saw {} records up to offset {}; the backup "
                          "ends at offset {} ({} records)",
                          seen.partition, sources_[i].witness, seen.digest.record_count,
                          seen.digest.last_offset, restored.last_offset, restored.record_count));
  }
  for (auto& [partition, entry] : partitions) rollback.partitions.push_back(std::move(entry));
  return rollback;
}

}  // namespace careledger::tools
