#include "tools/log_verification.h"

#include "events/parallel.h"

namespace careledger::tools {

absl::StatusOr<LogVerification> VerifyLog(ledger::LogReader& reader, const events::Keyring& keyring,
                                          int threads, std::vector<KeptCheckpoint> kept,
                                          const ledger::VerifiedRecordVisitor& also_visit) {
  KeptCheckpointCheck kept_check(std::move(kept), reader.partition_count());
  absl::StatusOr<ledger::ScanReport> scan =
      ledger::ScanLog(reader, &keyring, threads > 0 ? threads : events::HardwareThreads(),
                      [&](std::int32_t partition, const events::VerifiedRecord& record) {
                        kept_check.Observe(partition, record);
                        if (also_visit) also_visit(partition, record);
                      });
  if (!scan.ok()) return scan.status();
  return LogVerification{*std::move(scan), kept_check.Failures(), kept_check.Confirmed()};
}

}  // namespace careledger::tools
