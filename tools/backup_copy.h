// What `careledger backup` and `careledger restore` share: the one way they
// open an embedded log directory (a copy, or a data directory's own), and the
// full verification of a copy with its own keyring.
#ifndef CARELEDGER_TOOLS_BACKUP_COPY_H_
#define CARELEDGER_TOOLS_BACKUP_COPY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log.h"
#include "tools/log_verification.h"

namespace careledger::tools {

// Opens the embedded log in directory `path` for reading only (a RocksDB
// secondary: it takes no lock and writes nothing but its own scratch
// directory, removed on close). NOT_FOUND when there is no log there.
absl::StatusOr<std::unique_ptr<ledger::Log>> OpenLogForReading(const std::string& path);

// Verifies every record of <dir>/log with the keyring of <dir>/keys, like
// `careledger verify`, checking `kept` and showing every verified record to
// `also_visit` too.
absl::StatusOr<LogVerification> VerifyDataCopy(
    const std::string& dir, int threads, std::vector<KeptCheckpoint> kept,
    const ledger::VerifiedRecordVisitor& also_visit = {});

// The current UTC time as 20250131T120000Z, for names of moved-aside parts.
std::string CompactUtcNow();
// The current UTC time as RFC 3339, for manifests and records.
std::string Rfc3339UtcNow();

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_BACKUP_COPY_H_
