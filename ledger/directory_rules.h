// Keeping the directory: who may record organisations, users and devices,
// and what a record must hold.
//
// The CMC team (ROLE_AUDITOR, meeting the access prerequisites) keeps the
// directory. The operator of the ledger host (ROLE_SYSTEM) acts once, in the
// bootstrap, so that an empty directory gets its first CMC team member
// (`careledger directory bootstrap`, docs/domain.md "Trust"):
//   - while the directory has no active CMC team member (one registered and
//     neither suspended nor revoked: Directory::HasActiveCmcTeamMember), the
//     system role may record an organisation of type CMC service, a device
//     of such an organisation, and a CMC team member of such an organisation
//     who could act at once (their record and organisation meet the access
//     prerequisites, from one of its registered devices); nothing else;
//   - once there is one, every directory change needs a CMC team member,
//     and the system role is refused whatever it asks.
// Decided from the directory alone, which the writer recovers from the log,
// so the rule is the same after a restart. The writer's own checkpoints carry
// ROLE_SYSTEM too, but they are not commands and are not decided here.
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
// INVALID_ARGUMENT / PERMISSION_DENIED / FAILED_PRECONDITION saying why not
// (PERMISSION_DENIED for the system role outside the bootstrap). The caller
// has checked the prerequisites of a non-system actor.
absl::StatusOr<std::vector<careledger::v1::Event>> DecideDirectoryCommand(
    const Directory& directory, const careledger::v1::Command& command, absl::Time now);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_DIRECTORY_RULES_H_
