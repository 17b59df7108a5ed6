#include "access/review_worklist.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <tuple>

#include "events/time_util.h"
#include "ledger/dates.h"
#include "projections/directory_queries.h"
#include "projections/plan_queries.h"
#include "projections/worklist.h"

namespace careledger::access {
namespace {

using careledger::v1::ReviewDue;
using careledger::v1::WorklistItem;

constexpr std::string_view kOrganisationOwner = "org/";

// The clinicians' owners whose reviews an owner's list holds: the owner
// itself, or for an organisation every user the directory has in it.
absl::StatusOr<std::vector<std::string>> ReviewOwnersOf(const projections::ProjectionStore& store,
                                                        const std::string& owner) {
  if (!owner.starts_with(kOrganisationOwner)) return std::vector<std::string>{owner};
  absl::StatusOr<std::vector<careledger::v1::DirectoryUser>> users =
      projections::DirectoryQueries(&store).ListUsers(
          std::string_view(owner).substr(kOrganisationOwner.size()));
  if (!users.ok()) return users.status();
  std::vector<std::string> owners;
  for (const careledger::v1::DirectoryUser& user : *users) {
    owners.push_back(projections::UserWorklist(user.user().user_id()));
  }
  return owners;
}

WorklistItem ItemOf(const ReviewDue& due, const std::string& owner) {
  WorklistItem item;
  item.set_owner(owner);
  item.set_kind(careledger::v1::WORKLIST_KIND_REVIEW_NEEDED);
  item.set_nhs_number(due.nhs_number());
  *item.mutable_review_on() = due.review_on();
  *item.mutable_since() = events::ToTimestamp(
      absl::FromCivil(ledger::ToCivilDay(due.review_on()), absl::UTCTimeZone()));
  item.set_detail(fmt::format("review due on {} by {}", ledger::FormatDate(due.review_on()),
                              due.reviewing_clinician()));
  return item;
}

}  // namespace

ReviewHorizon ReviewHorizon::At(absl::Time now, int window_days) {
  return ReviewHorizon{ledger::Today(now), window_days};
}

absl::StatusOr<int> ParseReviewWindow(std::string_view days) {
  int value = -1;
  const auto [end, error] = std::from_chars(days.data(), days.data() + days.size(), value);
  if (days.empty() || error != std::errc() || end != days.data() + days.size() || value < 0 ||
      value > kMaxReviewWindowDays) {
    return absl::InvalidArgumentError(fmt::format(
        "the review window must be a whole number of days from 0 to {}", kMaxReviewWindowDays));
  }
  return value;
}

absl::StatusOr<std::vector<WorklistItem>> ReviewItems(const projections::ProjectionStore& store,
                                                      const std::string& owner,
                                                      const ReviewHorizon& horizon) {
  absl::StatusOr<std::vector<std::string>> owners = ReviewOwnersOf(store, owner);
  if (!owners.ok()) return owners.status();
  const careledger::v1::Date through = ledger::FromCivilDay(horizon.last_day());
  const projections::PlanQueries queries(&store);
  std::vector<ReviewDue> due;
  for (const std::string& clinician : *owners) {
    absl::StatusOr<std::vector<ReviewDue>> entries = queries.ListReviewsDue(clinician, through);
    if (!entries.ok()) return entries.status();
    due.insert(due.end(), entries->begin(), entries->end());
  }
  std::vector<WorklistItem> items;
  for (const ReviewDue& entry : due) items.push_back(ItemOf(entry, owner));
  std::stable_sort(items.begin(), items.end(), [](const WorklistItem& a, const WorklistItem& b) {
    return std::make_tuple(a.since().seconds(), std::cref(a.nhs_number())) <
           std::make_tuple(b.since().seconds(), std::cref(b.nhs_number()));
  });
  return items;
}

}  // namespace careledger::access
