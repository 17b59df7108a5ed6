#include "access/worklist_read.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "events/time_util.h"
#include "projections/plan_queries.h"

namespace careledger::access {

using careledger::v1::WorklistKind;

std::vector<WorklistKind> TaskTypes() {
  return {careledger::v1::WORKLIST_KIND_DRAFT_PLAN, careledger::v1::WORKLIST_KIND_REVIEW_NEEDED,
          careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED, careledger::v1::WORKLIST_KIND_PLAN_REQUEST,
          careledger::v1::WORKLIST_KIND_CHANGE_REQUEST};
}

std::string TaskLabel(WorklistKind kind) {
  switch (kind) {
    case careledger::v1::WORKLIST_KIND_DRAFT_PLAN:
      return "draft plans";
    case careledger::v1::WORKLIST_KIND_REVIEW_NEEDED:
      return "plans needing review";
    case careledger::v1::WORKLIST_KIND_APPROVAL_NEEDED:
      return "plans needing approval";
    case careledger::v1::WORKLIST_KIND_PLAN_REQUEST:
      return "patient plan requests";
    case careledger::v1::WORKLIST_KIND_CHANGE_REQUEST:
      return "patient change requests";
    default:
      return TaskName(kind);
  }
}

std::string TaskName(WorklistKind kind) {
  std::string name = careledger::v1::WorklistKind_Name(kind);
  constexpr std::string_view kPrefix = "WORKLIST_KIND_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

absl::StatusOr<WorklistKind> ParseTask(std::string_view name) {
  std::vector<std::string> names;
  for (WorklistKind kind : TaskTypes()) {
    names.push_back(TaskName(kind));
    if (names.back() == name) return kind;
  }
  return absl::InvalidArgumentError(
      fmt::format("task '{}' is not a task type ({})", name, fmt::join(names, ", ")));
}

absl::StatusOr<Worklist> ReadWorklist(const projections::ProjectionStore& store,
                                      const std::string& owner, std::optional<WorklistKind> task,
                                      const ReviewHorizon& review) {
  absl::StatusOr<std::vector<careledger::v1::WorklistItem>> items =
      projections::PlanQueries(&store).ListWorklist(owner);
  if (!items.ok()) return items.status();
  absl::StatusOr<std::vector<careledger::v1::WorklistItem>> reviews =
      ReviewItems(store, owner, review);
  if (!reviews.ok()) return reviews.status();
  items->insert(items->end(), std::make_move_iterator(reviews->begin()),
                std::make_move_iterator(reviews->end()));
  std::stable_sort(
      items->begin(), items->end(),
      [](const careledger::v1::WorklistItem& a, const careledger::v1::WorklistItem& b) {
        return events::FromTimestamp(a.since()) < events::FromTimestamp(b.since());
      });
  Worklist worklist;
  worklist.owner = owner;
  worklist.review = review;
  for (WorklistKind kind : TaskTypes()) worklist.counts[kind] = 0;
  for (careledger::v1::WorklistItem& item : *items) {
    ++worklist.counts[item.kind()];
    ++worklist.total;
    if (!task.has_value() || item.kind() == *task) worklist.items.push_back(std::move(item));
  }
  return worklist;
}

nlohmann::json SummaryJson(const Worklist& worklist) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [kind, count] : worklist.counts) counts[TaskName(kind)] = count;
  nlohmann::json summary;
  summary["owner"] = worklist.owner;
  summary["review_window_days"] = worklist.review.window_days;
  summary["reviews_due_by"] = absl::FormatCivilTime(worklist.review.last_day());
  summary["total"] = worklist.total;
  summary["counts"] = std::move(counts);
  return summary;
}

}  // namespace careledger::access
