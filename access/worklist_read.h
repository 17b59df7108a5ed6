// The Action Needed worklist (projections/worklist.h) with its counts by
// task type: what `careledger worklist` and the service's GET /v1/worklist
// both show, in one place.
//
// Whose list it is comes from the front end: the CLI's --user, --org or
// --nhs, the service's verified caller (their own list, or their
// organisation's). A worklist read is not a ledger command: nothing is
// recorded (it lists NHS numbers and item titles, never plan content).
#ifndef CARELEDGER_ACCESS_WORKLIST_READ_H_
#define CARELEDGER_ACCESS_WORKLIST_READ_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection_store.h"

namespace careledger::access {

// The task types, by name: "draft_plan", "approval_needed", "plan_request",
// "change_request" (careledger.v1.WorklistKind without its prefix, lower
// case), in WorklistKind order.
std::vector<careledger::v1::WorklistKind> TaskTypes();
std::string TaskName(careledger::v1::WorklistKind kind);
// INVALID_ARGUMENT for a name that is none of the above.
absl::StatusOr<careledger::v1::WorklistKind> ParseTask(std::string_view name);

struct Worklist {
  std::string owner;  // "user/<id>", "org/<ODS code>" or "patient/<NHS number>"
  // The open items (only those of the task asked for, if one was), oldest
  // first.
  std::vector<careledger::v1::WorklistItem> items;
  // The whole list's items by task type (every type present, 0 when none),
  // whatever the filter; `total` is their sum.
  std::map<careledger::v1::WorklistKind, std::size_t> counts;
  std::size_t total = 0;
};

// `owner`'s worklist as `store` has it now, its items filtered to `task`
// when given. Errors are the store's.
absl::StatusOr<Worklist> ReadWorklist(const projections::ProjectionStore& store,
                                      const std::string& owner,
                                      std::optional<careledger::v1::WorklistKind> task);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_WORKLIST_READ_H_
