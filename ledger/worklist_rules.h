// Who may look at which Action Needed list, and the access record a look
// leaves (docs/domain.md, "The Action Needed list"; GET /v1/worklist).
//
// A ViewWorklist names its list by owner. Granted, after the access
// prerequisites (ledger/access_rules.h, checked before):
//   owner              who                                        subject
//   user_id            that user                                 worklist/user/<id>
//   ods_code           a professional of that organisation       worklist/org/<ods>
//   nhs_number         the patient whose directory record it is   worklist/patient/<nhs>
// and refused (PERMISSION_DENIED, recorded like any refusal) for anyone
// else; a command naming no owner is INVALID_ARGUMENT. A granted look
// appends no event, only its AccessRecorded "view_worklist" (with the
// patient's NHS number for a patient's list) on the deciding node's access
// stream, before the list is shown.
#ifndef CARELEDGER_LEDGER_WORKLIST_RULES_H_
#define CARELEDGER_LEDGER_WORKLIST_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "careledger/v1/access.pb.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/directory.h"

namespace careledger::ledger {

bool IsWorklistCommand(const careledger::v1::Command& command);

// "worklist/user/<id>", "worklist/org/<ods>" or "worklist/patient/<nhs>";
// INVALID_ARGUMENT when the command names no owner (or an invalid NHS
// number).
absl::StatusOr<std::string> WorklistStream(const careledger::v1::ViewWorklist& view);

// The access record of a granted look; PERMISSION_DENIED when the list is
// not the actor's to see.
absl::StatusOr<careledger::v1::AccessRecorded> DecideWorklistRead(
    const Directory& directory, const careledger::v1::Command& command);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_WORKLIST_RULES_H_
