// The genesis records: the first record (offset 0) of every partition,
// signed once when a log is created (`careledger init`) and never again.
// Each is a careledger.v1.LogGenesis naming the log (a fresh UUID, the same in
// every partition), its partition and the partition count, so that stored
// metadata (the embedded log's partition count, a topic's partitions) cannot
// change what the log is without verification failing: a count lowered hides
// whole partitions whose geneses then disagree; a count raised shows empty
// partitions with no genesis (events/partition_verifier.h, ledger/log_scan.h).
#ifndef CARELEDGER_LEDGER_GENESIS_H_
#define CARELEDGER_LEDGER_GENESIS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "events/ed25519.h"
#include "ledger/log.h"

namespace careledger::ledger {

// The stream of partition `partition`'s genesis: the first key of the form
// "genesis/<partition>/<n>" that maps to it (like CheckpointStreamId).
std::string GenesisStreamId(std::int32_t partition, std::int32_t partition_count);

// Appends the genesis of every partition of `log` in one atomic append, and
// returns the new log id. ALREADY_EXISTS when any partition already holds a
// record: a log is initialised exactly once. `log_name` is for people
// ("embedded", or the Kafka topic).
absl::StatusOr<std::string> WriteGenesis(Log& log, std::string_view key_id,
                                         const events::SigningKey& key, absl::Time now,
                                         std::string_view log_name);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_GENESIS_H_
