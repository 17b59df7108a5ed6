// The check behind `careledger verify` and `careledger restore`: every record
// of a log verified from offset 0 (ledger::ScanLog: envelope, signature and
// key window, chain, sequence, checkpoints, genesis) and compared with
// witnesses of its extent (ledger/witness.h: the data directory's, checkpoints
// kept outside the log, a backup's manifest).
#ifndef CARELEDGER_TOOLS_LOG_VERIFICATION_H_
#define CARELEDGER_TOOLS_LOG_VERIFICATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "events/keyring.h"
#include "ledger/log.h"
#include "ledger/log_scan.h"
#include "tools/kept_checkpoints.h"

namespace careledger::tools {

struct LogVerification {
  ledger::ScanReport scan;
  std::vector<std::string> kept_failures;  // ledger::WitnessCheck::Failures()
  std::vector<ledger::Witness> confirmed;  // the witnesses the log agrees with

  bool intact() const { return scan.stops.empty() && kept_failures.empty(); }
};

// Reads `reader` to its end with `threads` signature-checking threads
// (0 = all cores), checking `kept`. `also_visit` (may be empty) sees every
// verified record too. Errors are the reader's own.
absl::StatusOr<LogVerification> VerifyLog(ledger::LogReader& reader, const events::Keyring& keyring,
                                          int threads, std::vector<KeptCheckpoint> kept,
                                          const ledger::VerifiedRecordVisitor& also_visit = {});

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_LOG_VERIFICATION_H_
