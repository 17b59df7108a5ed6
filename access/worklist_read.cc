#include "access/worklist_read.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "projections/plan_queries.h"

namespace careledger::access {

using careledger::v1::WorklistKind;

std::vector<WorklistKind> TaskTypes() {
  std::vector<WorklistKind> kinds;
  for (int value = careledger::v1::WorklistKind_MIN + 1; value <= careledger::v1::WorklistKind_MAX;
       ++value) {
    if (careledger::v1::WorklistKind_IsValid(value)) {
      kinds.push_back(static_cast<WorklistKind>(value));
    }
  }
  return kinds;
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
                                      const std::string& owner, std::optional<WorklistKind> task) {
  absl::StatusOr<std::vector<careledger::v1::WorklistItem>> items =
      projections::PlanQueries(&store).ListWorklist(owner);
  if (!items.ok()) return items.status();
  Worklist worklist;
  worklist.owner = owner;
  for (WorklistKind kind : TaskTypes()) worklist.counts[kind] = 0;
  for (careledger::v1::WorklistItem& item : *items) {
    ++worklist.counts[item.kind()];
    ++worklist.total;
    if (!task.has_value() || item.kind() == *task) worklist.items.push_back(std::move(item));
  }
  return worklist;
}

}  // namespace careledger::access
