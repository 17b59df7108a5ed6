// Erasing a patient by crypto-shredding (docs/governance.md, "Erasure"):
// what `careledger erase` and the service's POST /v1/patients/{nhs}/erase
// both do, in one place.
//
// The order is the contract:
//   1. the ErasePatient command goes through the writer, which decides it
//      (the CMC team only, the retention rule: ledger/erasure_rules.h) and
//      makes the signed PatientErased durable BEFORE anything is destroyed;
//      a refusal is recorded as a DENIED access record and nothing else
//      changes;
//   2. the patient's data key is destroyed and the key store compacted
//      (ledger/data_keys.h): the sealed content can never be read again;
//   3. the writer snapshots, which hold folded plans, are replaced
//      (ReplaceWriterSnapshots), and the projection drops the content when
//      it applies the PatientErased (projections/erasure_purge.h); the
//      front end makes sure it has.
// An erasure stopped after step 1 (a crash, a failed key store) is finished
// by asking again: the ledger answers "already erased", and with the key
// still live the erasure goes on from step 2.
#ifndef CARELEDGER_ACCESS_ERASURE_H_
#define CARELEDGER_ACCESS_ERASURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/data_keys.h"
#include "ledger/writer.h"

namespace careledger::access {

struct ErasureOutcome {
  // The writer's answer: APPLIED with the PatientErased's position, or
  // REJECTED with the reason and the refusal's position.
  careledger::v1::CommandResult result;
  // True once the key is destroyed (this time, or completing an erasure
  // that an earlier attempt recorded but did not finish).
  bool key_destroyed = false;
  bool completed_earlier_erasure = false;
  bool erased() const { return key_destroyed; }
};

// Steps 1 and 2 for `command` (an erase_patient with an actor). Errors:
// INVALID_ARGUMENT for another command or an invalid NHS number (nothing
// appended); the writer's errors (nothing destroyed); the key store's, after
// the PatientErased is durable, saying that asking again finishes it.
absl::StatusOr<ErasureOutcome> ErasePatient(ledger::Writer& writer, ledger::DataKeyStore& keys,
                                            const careledger::v1::Command& command);

// Deletes every writer snapshot in `dir` but `keep` ("" = every one): they
// hold the plans as they were folded before the erasure. Returns how many
// were deleted. A missing `dir` has none.
absl::StatusOr<int> ReplaceWriterSnapshots(const std::string& dir, const std::string& keep);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_ERASURE_H_
