// Printing plans, versions and history for people.
#ifndef CARELEDGER_TOOLS_PLAN_VIEW_H_
#define CARELEDGER_TOOLS_PLAN_VIEW_H_

#include <ostream>
#include <string>
#include <vector>

#include "careledger/v1/plan_state.pb.h"
#include "careledger/v1/projection.pb.h"

namespace careledger::tools {

// "2026-11-22 05:16:22" (UTC).
std::string TimeText(const google::protobuf::Timestamp& at);

// An enum value's name without its `prefix` characters ("ROLE_CLINICIAN", 5 ->
// "CLINICIAN").
std::string ShortEnum(const std::string& name, std::size_t prefix);

// The first six bytes of a hash, in hex: enough for people to compare.
std::string ShortHash(const std::string& bytes);

// One line per section that is set: "    <section>: <JSON>".
void PrintCarePlan(const careledger::v1::CarePlan& plan, std::ostream& out);

// The plan's situation: status, versions, submission, restriction, death or
// withdrawal, review date, open requests, urgent-care notes.
void PrintPlanStatus(const careledger::v1::PlanRecord& record, std::ostream& out);

// What an event did, in a line: "approved version 2", "viewed published
// version 1 (content 3fa2c1d09b7e) GRANTED", ...
std::string DescribeEvent(const careledger::v1::Event& event);

// One line per entry: when, who (user, role, organisation, device, address),
// what.
void PrintHistory(const std::vector<careledger::v1::HistoryEntry>& history, std::ostream& out);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_PLAN_VIEW_H_
