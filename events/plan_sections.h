// Moving one section between a CarePlan and a PlanSectionValue.
//
// PlanSectionValue's oneof fields mirror CarePlan's fields by name and type
// (proto/careledger/v1/plan.proto), so both the ledger (deciding) and the
// projections (applying) move sections through these two functions and never
// list the sections by hand.
#ifndef CARELEDGER_EVENTS_PLAN_SECTIONS_H_
#define CARELEDGER_EVENTS_PLAN_SECTIONS_H_

#include <string>

#include "absl/status/status.h"
#include "careledger/v1/plan.pb.h"

namespace careledger::events {

// The name of the section `value` holds ("consent", "demographics", ...), or
// "" when none is set.
std::string SectionName(const careledger::v1::PlanSectionValue& value);

// Copies the section held by `value` into the same-named field of `plan`.
// INVALID_ARGUMENT when `value` holds no section, CarePlan lacks it, or
// `value` itself carries fields this version does not know (they would be
// dropped silently, so GetSection could not give back what was set). Unknown
// fields inside the section are copied with it.
absl::Status SetSection(const careledger::v1::PlanSectionValue& value,
                        careledger::v1::CarePlan* plan);

// The current value of `plan`'s section named like the one `like` holds;
// unset (no section) when the plan does not have that section yet.
careledger::v1::PlanSectionValue GetSection(const careledger::v1::CarePlan& plan,
                                            const careledger::v1::PlanSectionValue& like);

}  // namespace careledger::events

#endif  // CARELEDGER_EVENTS_PLAN_SECTIONS_H_
