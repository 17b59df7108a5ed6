#include "ledger/worklist_rules.h"

#include <fmt/format.h>

#include "ledger/access_rules.h"
#include "ledger/nhs_number.h"

namespace careledger::ledger {

using careledger::v1::Command;
using careledger::v1::ViewWorklist;

bool IsWorklistCommand(const Command& command) { return command.has_view_worklist(); }

absl::StatusOr<std::string> WorklistStream(const ViewWorklist& view) {
  switch (view.owner_case()) {
    case ViewWorklist::kUserId:
      if (!view.user_id().empty()) return fmt::format("worklist/user/{}", view.user_id());
      break;
    case ViewWorklist::kOdsCode:
      if (!view.ods_code().empty()) return fmt::format("worklist/org/{}", view.ods_code());
      break;
    case ViewWorklist::kNhsNumber:
      if (absl::Status valid = ValidateNhsNumber(view.nhs_number()); !valid.ok()) return valid;
      return fmt::format("worklist/patient/{}", view.nhs_number());
    default:
      break;
  }
  return absl::InvalidArgumentError("say whose worklist: a user, an organisation or a patient");
}

absl::StatusOr<careledger::v1::AccessRecorded> DecideWorklistRead(const Directory& directory,
                                                                  const Command& command) {
  const ViewWorklist& view = command.view_worklist();
  absl::StatusOr<std::string> subject = WorklistStream(view);
  if (!subject.ok()) return subject.status();
  const careledger::v1::Actor& actor = command.actor();
  bool theirs = false;
  std::string whose;
  switch (view.owner_case()) {
    case ViewWorklist::kUserId:
      theirs = view.user_id() == actor.user_id();
      whose = fmt::format("user {}", view.user_id());
      break;
    case ViewWorklist::kOdsCode:
      theirs = IsProfessional(actor.role()) && view.ods_code() == actor.organisation();
      whose = fmt::format("organisation {}", view.ods_code());
      break;
    default: {
      const DirectoryUser* user = directory.FindUser(actor.user_id());
      theirs = actor.role() == careledger::v1::ROLE_PATIENT && user != nullptr &&
               user->user.nhs_number() == view.nhs_number();
      whose = fmt::format("patient {}", view.nhs_number());
      break;
    }
  }
  if (!theirs) {
    return absl::PermissionDeniedError(
        fmt::format("{} may see only their own worklist, their organisation's, or (a patient) "
                    "their own plan's; not that of {}",
                    actor.user_id(), whose));
  }
  careledger::v1::AccessRecorded record;
  record.set_action("view_worklist");
  record.set_subject(*subject);
  if (view.owner_case() == ViewWorklist::kNhsNumber) record.set_nhs_number(view.nhs_number());
  record.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  return record;
}

}  // namespace careledger::ledger
