// The witnesses a data directory holds besides its log (ledger/witness.h,
// docs/witnesses.md): the writer's head file <data>/witness/heads-<log>.json and the
// projection's stored progress. The writer refuses to extend a log that
// contradicts them; `careledger verify` reports them.
#ifndef CARELEDGER_TOOLS_WITNESSES_H_
#define CARELEDGER_TOOLS_WITNESSES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/witness.h"
#include "tools/context.h"

namespace careledger::tools {

struct DataDirWitnesses {
  std::vector<ledger::Witness> witnesses;
  // What could not be used, for people: "no head witness at ...", "the
  // projection ... does not open: ...". A missing witness proves nothing
  // either way; it is reported, never silently ignored.
  std::vector<std::string> missing;
};

// <data>/witness/heads-embedded.json, or heads-kafka-<topic>.json.
std::string HeadWitnessPath(const Context& context);

// Reads every witness of the data directory for a log of `partitions`.
DataDirWitnesses CollectWitnesses(const Context& context, std::int32_t partitions);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_WITNESSES_H_
