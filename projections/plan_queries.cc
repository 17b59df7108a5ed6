#include "projections/plan_queries.h"

#include <fmt/format.h>

#include <string>

#include "projections/internal/keys.h"

namespace careledger::projections {

using careledger::v1::PlanRecord;
using careledger::v1::PublishedVersion;

absl::StatusOr<PlanRecord> PlanQueries::GetPlan(std::string_view nhs_number) const {
  absl::StatusOr<std::optional<std::string>> bytes =
      store_->Get(StoreFamily::kPlans, internal::PlanKey(nhs_number));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return absl::NotFoundError(fmt::format("no projected plan for NHS number {}", nhs_number));
  }
  PlanRecord plan;
  if (!plan.ParseFromString(**bytes)) {
    return absl::DataLossError(
        fmt::format("projection store: unreadable plan record for {}", nhs_number));
  }
  return plan;
}

absl::StatusOr<PublishedVersion> PlanQueries::GetVersion(std::string_view nhs_number,
                                                         std::uint64_t version) const {
  absl::StatusOr<std::optional<std::string>> bytes =
      store_->Get(StoreFamily::kVersions, internal::VersionKey(nhs_number, version));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return absl::NotFoundError(
        fmt::format("no projected version {} of the plan for NHS number {}", version, nhs_number));
  }
  PublishedVersion published;
  if (!published.ParseFromString(**bytes)) {
    return absl::DataLossError(fmt::format(
        "projection store: unreadable version {} of the plan for {}", version, nhs_number));
  }
  return published;
}

absl::StatusOr<std::vector<PublishedVersion>> PlanQueries::ListVersions(
    std::string_view nhs_number) const {
  std::vector<PublishedVersion> versions;
  bool readable = true;
  absl::Status scanned = store_->Scan(StoreFamily::kVersions, internal::VersionPrefix(nhs_number),
                                      [&](std::string_view, std::string_view value) {
                                        readable = versions.emplace_back().ParseFromArray(
                                            value.data(), static_cast<int>(value.size()));
                                        return readable;
                                      });
  if (!scanned.ok()) return scanned;
  if (!readable) {
    return absl::DataLossError(
        fmt::format("projection store: unreadable version of the plan for {}", nhs_number));
  }
  return versions;
}

}  // namespace careledger::projections
