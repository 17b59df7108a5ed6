// "Plans needing review" on the Action Needed list (issue 11 item 4;
// seeds/004's Summary box): the published plans whose review date has
// passed or falls within a window of days from today.
//
// Due-ness depends on the day the list is read, so it is decided here, at
// read time, from the projected review-date index (projections/review_due.h),
// never at fold time: the same store gives a longer list tomorrow without
// any new event. The contract:
//
//   A plan needs review on day T with window W when it is PUBLISHED or
//   EDITING and its review date D (the published plan's, moved on by
//   PlanReviewed) satisfies D <= T + W. D < T is overdue; T <= D <= T + W is
//   coming up. T is the UTC day, as the ledger's review rules count days
//   (ledger/dates.h). W is 0 to 366 days (a review is at most a year away,
//   so 366 shows every review), 28 by default.
//
//   It is listed for its reviewing clinician ("user/<id>", the published
//   plan's review.reviewing_clinician), for that clinician's organisation
//   ("org/<ODS>", as the directory has the user when the list is read: a
//   clinician who moves takes their reviews along, and a suspended one's stay
//   visible to their organisation) and for its patient ("patient/<NHS>").
//
// Each item: kind REVIEW_NEEDED, review_on = D, since = D at 00:00 UTC,
// detail "review due on D by <clinician>", no item id.
//
// Cost: a user's or patient's list is one range scan of the index, as long
// as the items it returns; an organisation's reads the directory's users
// (DirectoryQueries::ListUsers) and does one such scan per user of the
// organisation.
#ifndef CARELEDGER_ACCESS_REVIEW_WORKLIST_H_
#define CARELEDGER_ACCESS_REVIEW_WORKLIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection_store.h"

namespace careledger::access {

inline constexpr int kDefaultReviewWindowDays = 28;
inline constexpr int kMaxReviewWindowDays = 366;

// The day due-ness is decided on and how far ahead it looks.
struct ReviewHorizon {
  absl::CivilDay today;
  int window_days = kDefaultReviewWindowDays;

  // The UTC day of `now`, with `window_days`.
  static ReviewHorizon At(absl::Time now, int window_days = kDefaultReviewWindowDays);
  // The last review date that is listed: today + window_days.
  absl::CivilDay last_day() const { return today + window_days; }
};

// A window in days as the front ends take it (`--review-window DAYS`,
// `review_window_days=`): a whole number from 0 to kMaxReviewWindowDays.
// INVALID_ARGUMENT otherwise, naming the range.
absl::StatusOr<int> ParseReviewWindow(std::string_view days);

// The REVIEW_NEEDED items of `owner` ("user/<id>", "org/<ODS code>" or
// "patient/<NHS number>"; projections/worklist.h) on `horizon`, earliest
// review date first (ties in NHS number order). Empty for any other owner.
// Errors are the store's.
absl::StatusOr<std::vector<careledger::v1::WorklistItem>> ReviewItems(
    const projections::ProjectionStore& store, const std::string& owner,
    const ReviewHorizon& horizon);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_REVIEW_WORKLIST_H_
