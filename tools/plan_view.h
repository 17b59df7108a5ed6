// Printing a patient's projected plan for people.
#ifndef CARELEDGER_TOOLS_PLAN_VIEW_H_
#define CARELEDGER_TOOLS_PLAN_VIEW_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "projections/projection_store.h"

namespace careledger::tools {

// Prints the published plan (what urgent care sees), its version, and the
// working draft's pending sections. NOT_FOUND when the plan is not projected.
absl::Status PrintPlan(const projections::ProjectionStore& store, const std::string& nhs_number,
                       std::ostream& out);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PLAN_VIEW_H_
