// Printing a point-in-time read (`plan show --as-of`) for people (times in
// London) and as JSON (times in UTC and London).
#ifndef CARELEDGER_TOOLS_PLAN_AS_OF_VIEW_H_
#define CARELEDGER_TOOLS_PLAN_AS_OF_VIEW_H_

#include "access/plan_as_of.h"
#include "careledger/v1/commands.pb.h"

namespace careledger::tools {

// Prints the answer of a granted point-in-time read and returns its exit
// code: kExitOk, or kExitNoPlanThen when the plan did not exist yet.
int PrintPlanAsOf(const access::PlanAsOf& answer, const careledger::v1::CommandResult& access,
                  bool json);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PLAN_AS_OF_VIEW_H_
