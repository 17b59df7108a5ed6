#include "projections/review_due.h"

#include "projections/worklist.h"

namespace careledger::projections {

std::vector<careledger::v1::ReviewDue> ReviewDueOf(const careledger::v1::PlanRecord& plan) {
  const careledger::v1::PlanState& state = plan.state();
  std::vector<careledger::v1::ReviewDue> entries;
  const bool published = state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_PUBLISHED ||
                         state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_EDITING;
  // Only a date the key can order: month 1-12, day 1-31 (the ledger checks
  // the date is a real day before publishing or reviewing).
  const careledger::v1::Date& due = state.review_due();
  if (!published || due.year() <= 0 || due.year() > 0xFFFF || due.month() < 1 || due.month() > 12 ||
      due.day() < 1 || due.day() > 31) {
    return entries;
  }
  careledger::v1::ReviewDue entry;
  entry.set_nhs_number(plan.nhs_number());
  *entry.mutable_review_on() = due;
  entry.set_reviewing_clinician(state.published().review().reviewing_clinician());
  entry.set_published_version(state.published_version());
  if (!entry.reviewing_clinician().empty()) {
    entries.push_back(entry);
    entries.back().set_owner(UserWorklist(entry.reviewing_clinician()));
  }
  entries.push_back(entry);
  entries.back().set_owner(PatientWorklist(plan.nhs_number()));
  return entries;
}

}  // namespace careledger::projections
