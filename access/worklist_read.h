// The Action Needed worklist (projections/worklist.h) with its counts by
// task type: what `careledger worklist` and the service's GET /v1/worklist
// both show, in one place. The stored items, and the plans needing review
// on the day of the read (access/review_worklist.h).
//
// Whose list it is comes from the front end: the CLI's --user, --org or
// --nhs, the service's verified caller (their own list, or their
// organisation's). A worklist read is not a ledger command: nothing is
// recorded (it lists NHS numbers and item titles, never plan content).
#ifndef CARELEDGER_ACCESS_WORKLIST_READ_H_
#define CARELEDGER_ACCESS_WORKLIST_READ_H_

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "access/review_worklist.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection_store.h"

namespace careledger::access {

// The task types, in the order of the migration notice's Summary box
// (seeds/004): draft_plan, review_needed, approval_needed, plan_request,
// change_request. A task type's name (careledger.v1.WorklistKind without its
// prefix, lower case) is the one name the CLI (--task, the counts) and the
// API (task=, `counts`) use; its label is the Summary box's words for people
// ("draft plans", "plans needing review", "plans needing approval",
// "patient plan requests", "patient change requests").
std::vector<careledger::v1::WorklistKind> TaskTypes();
std::string TaskName(careledger::v1::WorklistKind kind);
std::string TaskLabel(careledger::v1::WorklistKind kind);
// INVALID_ARGUMENT for a name that is none of the above.
absl::StatusOr<careledger::v1::WorklistKind> ParseTask(std::string_view name);

struct Worklist {
  std::string owner;     // "user/<id>", "org/<ODS code>" or "patient/<NHS number>"
  ReviewHorizon review;  // the day and window review due-ness was decided on
  // The open items (only those of the task asked for, if one was), oldest
  // `since` first; a review item's `since` is its review date, and at equal
  // times the stored items come before the review items.
  std::vector<careledger::v1::WorklistItem> items;
  // The whole list's items by task type (every type present, 0 when none),
  // whatever the filter; `total` is their sum. counts[k] is the length of
  // the list read with task k.
  std::map<careledger::v1::WorklistKind, std::size_t> counts;
  std::size_t total = 0;
};

// `owner`'s worklist as `store` has it now, with the plans needing review
// on `review`, its items filtered to `task` when given. Errors are the
// store's.
absl::StatusOr<Worklist> ReadWorklist(const projections::ProjectionStore& store,
                                      const std::string& owner,
                                      std::optional<careledger::v1::WorklistKind> task,
                                      const ReviewHorizon& review);

// The Summary box as JSON, the same names in `careledger --json worklist`
// (its last line, {"summary": ...}) and GET /v1/worklist (the body's top
// level): owner, review_window_days, reviews_due_by ("YYYY-MM-DD": the last
// review date listed), total, and counts {task name: count} for every type.
nlohmann::json SummaryJson(const Worklist& worklist);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_WORKLIST_READ_H_
