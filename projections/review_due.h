// The review-date index (family `review_due`, DESIGN §5): when each open
// published plan is next due for review, under the clinician who is to
// review it and under its patient. PlanProjection keeps it, like the
// worklist, by deriving a plan's entries again after each batch.
//
// Whether a review is *due* depends on the day the list is read, so the
// index holds only dates; the Action Needed list decides due-ness when it is
// read (access/review_worklist.h). A plan's organisation list is not in the
// index either: the list reads the reviewing clinicians of an organisation
// from the directory when it is read, so the store never depends on the
// order in which directory and plan partitions were applied.
//
// A plan has an entry while its lifecycle is PUBLISHED or EDITING (a working
// draft does not change the published plan's review) and its review date is
// a date: review_on = state.review_due (the published plan's review date,
// moved on by each PlanReviewed), reviewing clinician = the published plan's
// review.reviewing_clinician. Owners: UserWorklist(clinician) (when one is
// named) and PatientWorklist(NHS number). A draft-only, closed or withdrawn
// plan has none.
#ifndef CARELEDGER_PROJECTIONS_REVIEW_DUE_H_
#define CARELEDGER_PROJECTIONS_REVIEW_DUE_H_

#include <vector>

#include "careledger/v1/projection.pb.h"

namespace careledger::projections {

// The index entries of `plan`, one per owner, in a fixed order (empty when
// it has none, see above).
std::vector<careledger::v1::ReviewDue> ReviewDueOf(const careledger::v1::PlanRecord& plan);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_REVIEW_DUE_H_
