#include "ledger/log_scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "events/failure.h"

namespace careledger::ledger {
namespace {

// A partition that verified may still be empty (no genesis: a log never
// initialised, or one whose partition count was raised) or belong to another
// log than partition 0.
std::optional<events::VerificationStop> CheckPartitionIdentity(
    std::int32_t partition, const events::PartitionDigest& digest,
    const std::vector<std::string>& log_ids) {
  if (digest.record_count == 0) {
    return events::VerificationStop{
        partition, 0, "",
        events::VerificationFailure(
            events::FailureKind::kGenesisMismatch,
            "the partition is empty: it has no genesis record (a log not created by "
            "'careledger init', or a partition count that was changed)")};
  }
  if (log_ids[partition] != log_ids.front()) {
    return events::VerificationStop{
        partition, 0, "",
        events::VerificationFailure(
            events::FailureKind::kGenesisMismatch,
            fmt::format("the genesis names log {}, but partition 0's names log {}",
                        log_ids[partition], log_ids.front()))};
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ScanReport> ScanLog(LogReader& reader, const events::Keyring* keyring, int threads,
                                   const VerifiedRecordVisitor& visit) {
  const std::int32_t partitions = reader.partition_count();
  ScanStart start;
  start.offsets.assign(partitions, 0);
  start.digests.assign(partitions, events::PartitionDigest{});
  return ScanLogFrom(reader, keyring, threads, start, visit);
}

absl::StatusOr<ScanReport> ScanLogFrom(LogReader& reader, const events::Keyring* keyring,
                                       int threads, const ScanStart& start,
                                       const VerifiedRecordVisitor& visit) {
  const std::int32_t partitions = reader.partition_count();
  if (static_cast<std::int32_t>(start.offsets.size()) != partitions ||
      static_cast<std::int32_t>(start.digests.size()) != partitions) {
    return absl::InvalidArgumentError(fmt::format(
        "a scan of {} partitions needs {} start offsets and digests", partitions, partitions));
  }
  std::vector<events::PartitionVerifier> verifiers;
  verifiers.reserve(partitions);
  std::vector<std::string> log_ids(partitions);  // from each partition's genesis
  for (std::int32_t p = 0; p < partitions; ++p) {
    verifiers.emplace_back(p, keyring, start.heads, threads);
    verifiers.back().RequireGenesis(partitions);
    if (start.offsets[p] > 0) {
      verifiers.back().Resume(start.digests[p]);
      log_ids[p] = start.log_id;
    }
  }
  std::vector<std::optional<events::VerificationStop>> stops(partitions);

  if (absl::Status seek = reader.Seek(start.offsets); !seek.ok()) return seek;
  ScanReport report;
  std::vector<std::vector<events::LogRecord>> by_partition(partitions);
  for (;;) {
    absl::StatusOr<ReadBatch> batch = reader.Read(8192, std::chrono::milliseconds(1000));
    if (!batch.ok()) return batch.status();
    for (auto& records : by_partition) records.clear();
    for (events::LogRecord& record : batch->records) {
      if (record.partition < 0 || record.partition >= partitions) {
        return absl::DataLossError(
            fmt::format("the log returned a record of partition {} at offset {}, outside its {} "
                        "partitions",
                        record.partition, record.offset, partitions));
      }
      by_partition[record.partition].push_back(std::move(record));
    }
    for (std::int32_t p = 0; p < partitions; ++p) {
      if (stops[p] || by_partition[p].empty()) continue;
      events::BatchVerification verified = verifiers[p].Verify(by_partition[p]);
      for (const events::VerifiedRecord& record : verified.verified) {
        ++report.records;
        if (record.opened.event.has_checkpoint()) ++report.checkpoints;
        if (record.opened.event.has_log_genesis()) {
          log_ids[p] = record.opened.event.log_genesis().log_id();
        }
        if (visit) visit(p, record);
      }
      stops[p] = std::move(verified.stop);
    }
    if (batch->caught_up) break;
  }
  for (std::int32_t p = 0; p < partitions; ++p) {
    if (!stops[p]) stops[p] = CheckPartitionIdentity(p, verifiers[p].digest(), log_ids);
    if (stops[p]) report.stops.push_back(*stops[p]);
    report.digests.push_back(verifiers[p].digest());
  }
  report.log_id = log_ids.empty() ? "" : log_ids.front();
  return report;
}

}  // namespace careledger::ledger
