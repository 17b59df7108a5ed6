#include "tools/backup_copy.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/embedded_log.h"
#include "ledger/key_store.h"

namespace careledger::tools {

absl::StatusOr<std::unique_ptr<ledger::Log>> OpenLogForReading(const std::string& path) {
  ledger::EmbeddedLogOptions options;
  options.path = path;
  options.mode = ledger::EmbeddedLogMode::kFollower;
  return ledger::OpenEmbeddedLog(options);
}

absl::StatusOr<LogVerification> VerifyDataCopy(const std::string& dir, int threads,
                                               std::vector<KeptCheckpoint> kept,
                                               const ledger::VerifiedRecordVisitor& also_visit) {
  absl::StatusOr<ledger::KeyStore> keys = ledger::KeyStore::Open(dir + "/keys");
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = OpenLogForReading(dir + "/log");
  if (!log.ok()) return log.status();
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = (*log)->OpenReader();
  if (!reader.ok()) return reader.status();
  return VerifyLog(**reader, keys->keyring(), threads, std::move(kept), also_visit);
}

std::string CompactUtcNow() {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
}

std::string Rfc3339UtcNow() {
  return absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
}

}  // namespace careledger::tools
