// Creating a ledger: the one way a data directory gets its keys, its log and
// the log's signed genesis records (`careledger init`; the demo and the
// benchmarks use it for their own fresh directories). Nothing else creates a
// log: every other command opens an existing one (tools/context.h).
#ifndef CARELEDGER_TOOLS_LEDGER_INIT_H_
#define CARELEDGER_TOOLS_LEDGER_INIT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/log.h"
#include "tools/context.h"

namespace careledger::tools {

struct InitializedLedger {
  std::unique_ptr<ledger::Log> log;
  std::string key_id;  // the signing key created
  std::string log_id;  // from the genesis records
};

// Creates the keys, the log (embedded directory or Kafka topic) and its
// genesis. ALREADY_EXISTS when the data directory already has keys or the
// log already exists or holds records: a ledger is created once.
absl::StatusOr<InitializedLedger> InitializeLedger(const Context& context);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_LEDGER_INIT_H_
