#include "ledger/log_scan.h"

#include <algorithm>
#include <optional>

namespace careledger::ledger {

absl::StatusOr<ScanReport> ScanLog(LogReader& reader, const events::Keyring* keyring, int threads,
                                   const VerifiedRecordVisitor& visit) {
  const std::int32_t partitions = reader.partition_count();
  std::vector<events::PartitionVerifier> verifiers;
  verifiers.reserve(partitions);
  for (std::int32_t p = 0; p < partitions; ++p)
    verifiers.emplace_back(p, keyring, nullptr, threads);
  std::vector<std::optional<events::VerificationStop>> stops(partitions);

  if (absl::Status seek = reader.Seek(std::vector<std::int64_t>(partitions, 0)); !seek.ok()) {
    return seek;
  }
  ScanReport report;
  std::vector<std::vector<events::LogRecord>> by_partition(partitions);
  for (;;) {
    absl::StatusOr<ReadBatch> batch = reader.Read(8192, std::chrono::milliseconds(1000));
    if (!batch.ok()) return batch.status();
    for (auto& records : by_partition) records.clear();
    for (events::LogRecord& record : batch->records) {
      if (record.partition < 0 || record.partition >= partitions) continue;
      by_partition[record.partition].push_back(std::move(record));
    }
    for (std::int32_t p = 0; p < partitions; ++p) {
      if (stops[p] || by_partition[p].empty()) continue;
      events::BatchVerification verified = verifiers[p].Verify(by_partition[p]);
      for (const events::VerifiedRecord& record : verified.verified) {
        ++report.records;
        if (record.opened.event.has_checkpoint()) ++report.checkpoints;
        if (visit) visit(p, record);
      }
      stops[p] = std::move(verified.stop);
    }
    if (batch->caught_up) break;
  }
  for (std::int32_t p = 0; p < partitions; ++p) {
    if (stops[p]) report.stops.push_back(*stops[p]);
    report.digests.push_back(verifiers[p].digest());
  }
  return report;
}

}  // namespace careledger::ledger
