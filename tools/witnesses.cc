#include "tools/witnesses.h"

#include <fmt/format.h>

#include <filesystem>

#include "events/format.h"
#include "ledger/head_witness.h"
#include "projections/progress.h"
#include "projections/projection_store.h"

namespace careledger::tools {
namespace {

// The projection's progress: what it applied is what the log held.
void AddProjectionWitnesses(const Context& context, std::int32_t partitions,
                            DataDirWitnesses* out) {
  const std::string dir = context.ProjectionDir();
  std::error_code error;
  if (!std::filesystem::exists(dir + "/CURRENT", error)) {
    out->missing.push_back(fmt::format("no projection at {} (nothing was projected yet)", dir));
    return;
  }
  absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> store =
      projections::ProjectionStore::OpenFollower(dir);
  if (!store.ok()) {
    out->missing.push_back(
        fmt::format("the projection at {} does not open: {}", dir, store.status().message()));
    return;
  }
  absl::StatusOr<std::int32_t> stored_count = projections::ReadPartitionCount(**store);
  if (!stored_count.ok() || *stored_count == 0) return;  // nothing applied yet
  if (*stored_count != partitions) {
    out->missing.push_back(
        fmt::format("the projection at {} was built from a log of {} partitions, this log has {}",
                    dir, *stored_count, partitions));
    return;
  }
  absl::StatusOr<std::vector<projections::PartitionProgress>> progress =
      projections::ReadProgress(**store, partitions);
  if (!progress.ok()) {
    out->missing.push_back(
        fmt::format("the projection at {}: {}", dir, progress.status().message()));
    return;
  }
  for (const projections::PartitionProgress& partition : *progress) {
    if (partition.digest.record_count == 0) continue;
    out->witnesses.push_back(
        ledger::Witness{partition.partition, partition.digest, fmt::format("projection {}", dir)});
  }
}

}  // namespace

std::string HeadWitnessPath(const Context& context) {
  // One file per log the data directory serves, named like its projection.
  const std::string label = std::filesystem::path(context.ProjectionDir()).filename().string();
  return fmt::format("{}/witness/heads-{}.json", context.options().data_dir, label);
}

DataDirWitnesses CollectWitnesses(const Context& context, std::int32_t partitions) {
  DataDirWitnesses out;
  absl::StatusOr<std::vector<ledger::Witness>> heads =
      ledger::ReadHeadWitness(HeadWitnessPath(context));
  if (heads.ok()) {
    out.witnesses = *std::move(heads);
  } else {
    out.missing.push_back(std::string(heads.status().message()));
  }
  AddProjectionWitnesses(context, partitions, &out);
  return out;
}

}  // namespace careledger::tools
