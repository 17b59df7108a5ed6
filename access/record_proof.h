// A patient's receipt (docs/proof.md): for one record of the log, a small
// self-contained proof that a third party can check offline with only the
// published envelope format: the record itself, the partition's running
// digest just before it, the offsets and value hashes of the records between
// it and the first signed checkpoint after it, that checkpoint, and the
// keyring entries of the keys that signed the two.
#ifndef CARELEDGER_ACCESS_RECORD_PROOF_H_
#define CARELEDGER_ACCESS_RECORD_PROOF_H_

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/log_lookup.h"
#include "access/plan_read.h"
#include "careledger/v1/commands.pb.h"
#include "events/keyring.h"
#include "ledger/log.h"
#include "ledger/writer.h"

namespace careledger::access {

// The proof of the record at (partition, offset), as the JSON document
// docs/proof.md describes. The whole log is read and verified first (a proof
// is never issued from a damaged log: DATA_LOSS naming the first bad
// record's position). NOT_FOUND when the partition holds no record at
// `offset`; FAILED_PRECONDITION when no checkpoint follows it yet (`careledger
// checkpoint` appends one).
absl::StatusOr<nlohmann::json> BuildRecordProof(ledger::Log& log, const events::Keyring& keyring,
                                                std::int32_t partition, std::int64_t offset);

struct RecordProof {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  bool granted = false;
  nlohmann::json proof;  // when granted
};

// `careledger audit proof` and GET /v1/audit/records/{partition}/{offset}/proof:
// the proof is built first (nothing is shown, nothing submitted: its errors
// above append nothing), then the auditor's request is recorded as an
// examination of that record (AuditQuery, scope ACCESS, naming the record's
// patient so it is in that patient's trail: RecordAuditQuery), and only a
// granted query gets the proof. `command` carries the actor and command id.
// `lookup` reads single records of `log` (one thread at a time).
absl::StatusOr<RecordProof> ProveRecord(ledger::Writer& writer, careledger::v1::Command command,
                                        ledger::Log& log, LogLookup& lookup,
                                        const events::Keyring& keyring,
                                        const careledger::v1::EventPosition& position,
                                        ProjectionFeed& feed, absl::Time deadline);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_RECORD_PROOF_H_
