// Printing a point-in-time read (`plan show --as-of`) for people (times in
// London) and as JSON (times in UTC and London).
#ifndef CARELEDGER_TOOLS_PLAN_AS_OF_VIEW_H_
#define CARELEDGER_TOOLS_PLAN_AS_OF_VIEW_H_

#include <nlohmann/json.hpp>

#include "access/plan_as_of.h"
#include "careledger/v1/commands.pb.h"

namespace careledger::tools {

// The answer as JSON (times in UTC, and in London as "..._london"): the CLI's
// --json and the service's `GET /v1/patients/{nhs}/plan?as_of=` body. Holds
// what a HISTORY grant allows (access::ShownState), the published version
// urgent care would have seen, the draft, and each part's signed record.
nlohmann::json PlanAsOfJson(const access::PlanAsOf& answer);

// Prints the answer of a granted point-in-time read and returns its exit
// code: kExitOk, or kExitNoPlanThen when the plan did not exist yet.
int PrintPlanAsOf(const access::PlanAsOf& answer, const careledger::v1::CommandResult& access,
                  bool json);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PLAN_AS_OF_VIEW_H_
