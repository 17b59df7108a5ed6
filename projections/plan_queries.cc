#include "projections/plan_queries.h"

#include <fmt/format.h>

#include <string>

#include "projections/internal/keys.h"
#include "projections/internal/read.h"

namespace careledger::projections {

using careledger::v1::HistoryEntry;
using careledger::v1::PlanRecord;
using careledger::v1::PublishedVersion;
using careledger::v1::WorklistItem;

absl::StatusOr<PlanRecord> PlanQueries::GetPlan(std::string_view nhs_number) const {
  absl::StatusOr<std::optional<PlanRecord>> plan =
      internal::ReadRecord<PlanRecord>(*store_, StoreFamily::kPlans, internal::PlanKey(nhs_number),
                                       fmt::format("plan record for {}", nhs_number));
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) {
    return absl::NotFoundError(fmt::format("no projected plan for NHS number {}", nhs_number));
  }
  return **std::move(plan);
}

absl::StatusOr<std::vector<std::string>> PlanQueries::ListPlanNumbers() const {
  // The family's keys are the NHS numbers themselves (internal::PlanKey).
  std::vector<std::string> numbers;
  absl::Status scanned =
      store_->Scan(StoreFamily::kPlans, "", [&](std::string_view key, std::string_view) {
        numbers.emplace_back(key);
        return true;
      });
  if (!scanned.ok()) return scanned;
  return numbers;
}

absl::StatusOr<PublishedVersion> PlanQueries::GetVersion(std::string_view nhs_number,
                                                         std::uint64_t version) const {
  absl::StatusOr<std::optional<PublishedVersion>> published =
      internal::ReadRecord<PublishedVersion>(
          *store_, StoreFamily::kVersions, internal::VersionKey(nhs_number, version),
          fmt::format("version {} of the plan for {}", version, nhs_number));
  if (!published.ok()) return published.status();
  if (!published->has_value()) {
    return absl::NotFoundError(
        fmt::format("no projected version {} of the plan for NHS number {}", version, nhs_number));
  }
  return **std::move(published);
}

absl::StatusOr<std::vector<PublishedVersion>> PlanQueries::ListVersions(
    std::string_view nhs_number) const {
  return internal::ScanRecords<PublishedVersion>(
      *store_, StoreFamily::kVersions, internal::VersionPrefix(nhs_number),
      fmt::format("version of the plan for {}", nhs_number));
}

absl::StatusOr<std::vector<HistoryEntry>> PlanQueries::ListHistory(
    std::string_view nhs_number) const {
  absl::StatusOr<std::vector<HistoryEntry>> entries = internal::ScanRecords<HistoryEntry>(
      *store_, StoreFamily::kHistory, internal::HistoryPrefix(nhs_number),
      fmt::format("history entry of {}", nhs_number));
  if (!entries.ok()) return entries;
  // A number holding 0x00 would share a prefix with another; keep only ours.
  std::erase_if(*entries,
                [&](const HistoryEntry& entry) { return entry.nhs_number() != nhs_number; });
  return entries;
}

absl::StatusOr<std::vector<WorklistItem>> PlanQueries::ListWorklist(std::string_view owner) const {
  absl::StatusOr<std::vector<WorklistItem>> items = internal::ScanRecords<WorklistItem>(
      *store_, StoreFamily::kWorklist, internal::WorklistPrefix(owner),
      fmt::format("worklist item of {}", owner));
  if (!items.ok()) return items;
  std::erase_if(*items, [&](const WorklistItem& item) { return item.owner() != owner; });
  return items;
}

absl::StatusOr<std::vector<careledger::v1::ReviewDue>> PlanQueries::ListReviewsDue(
    std::string_view owner, const careledger::v1::Date& through) const {
  const std::string prefix = internal::ReviewDuePrefix(owner);
  // Up to the start of the day after `through` (day 32 sorts after any day).
  const std::string upper =
      prefix + internal::ReviewDateKey(through.year(), through.month(), through.day() + 1);
  std::vector<careledger::v1::ReviewDue> entries;
  bool readable = true;
  absl::Status scanned =
      store_->ScanRange(StoreFamily::kReviewDue, prefix, upper, /*reverse=*/false,
                        [&](std::string_view, std::string_view value) {
                          readable = entries.emplace_back().ParseFromArray(
                              value.data(), static_cast<int>(value.size()));
                          return readable;
                        });
  if (!scanned.ok()) return scanned;
  if (!readable) {
    return absl::DataLossError(
        fmt::format("projection store: unreadable review date entry of {}", owner));
  }
  std::erase_if(entries,
                [&](const careledger::v1::ReviewDue& entry) { return entry.owner() != owner; });
  return entries;
}

}  // namespace careledger::projections
