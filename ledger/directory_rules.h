// Keeping the directory: who may record organisations, users and devices,
// and what a record must hold.
//
// The CMC team (ROLE_AUDITOR, meeting the access prerequisites) keeps the
// directory. So may ROLE_SYSTEM, the operator of the ledger host: that is
// how an empty directory gets its first CMC team member (`careledger
// directory ...` acts as the operator by default). careledger trusts the
// actor its caller names (docs/domain.md, "Trust"), so ROLE_SYSTEM is only
// as safe as access to the ledger host.
#ifndef CARELEDGER_LEDGER_DIRECTORY_RULES_H_
#define CARELEDGER_LEDGER_DIRECTORY_RULES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "ledger/directory.h"

namespace careledger::ledger {

bool IsDirectoryCommand(const careledger::v1::Command& command);

// The events (body only) for the command's directory stream, or
// INVALID_ARGUMENT / PERMISSION_DENIED / FAILED_PRECONDITION saying why not.
// The caller has checked the prerequisites of a non-system actor.
absl::StatusOr<std::vector<careledger::v1::Event>> DecideDirectoryCommand(
    const Directory& directory, const careledger::v1::Command& command, absl::Time now);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_DIRECTORY_RULES_H_
