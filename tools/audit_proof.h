// A patient's receipt (docs/proof.md): for one record of the log, a small
// self-contained proof that a third party can check offline with only the
// published envelope format: the record itself, the partition's running
// digest just before it, the offsets and value hashes of the records between
// it and the first signed checkpoint after it, that checkpoint, and the
// keyring entries of the keys that signed the two.
#ifndef CARELEDGER_TOOLS_AUDIT_PROOF_H_
#define CARELEDGER_TOOLS_AUDIT_PROOF_H_

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "events/keyring.h"
#include "ledger/log.h"

namespace careledger::tools {

// The proof of the record at (partition, offset), as the JSON document
// docs/proof.md describes. The whole log is read and verified first (a proof
// is never issued from a damaged log: DATA_LOSS naming the first bad
// record's position). NOT_FOUND when the partition holds no record at
// `offset`; FAILED_PRECONDITION when no checkpoint follows it yet (`careledger
// checkpoint` appends one).
absl::StatusOr<nlohmann::json> BuildRecordProof(ledger::Log& log, const events::Keyring& keyring,
                                                std::int32_t partition, std::int64_t offset);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_AUDIT_PROOF_H_
