// Which plans the UCP migration carries (the January 2022 migration notice,
// seeds/004; docs/migration.md), decided from a plan's projected record
// alone, and what is left behind for organisations to act on before
// cut-over. Pure functions: no I/O.
//
//   verdict      when                                      migrates
//   withdrawn    consent withdrawn                         no
//   deceased     a death recorded (the chosen rule,         no
//                docs/migration.md "Deceased patients")
//   no_plan      only myCMC requests, no plan started      no
//   draft_only   never published (a first draft)           no
//   restricted   restricted now (a lifted restriction      no
//                does not count)
//   migrates     published, none of the above              yes: its published
//                                                          versions only, never
//                                                          a pending draft
//
// The first row that applies decides. What is left behind for each plan
// (LeftBehind) is one entry per thing: the plan itself when it does not
// migrate, and for any plan a pending draft edit (`draft_edit`) and each
// open myCMC request (`open_plan_request`, `open_change_request`): those
// are never carried, even when the plan migrates.
#ifndef CARELEDGER_TOOLS_MIGRATE_SELECT_H_
#define CARELEDGER_TOOLS_MIGRATE_SELECT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "careledger/v1/projection.pb.h"

namespace careledger::tools {

enum class MigrationVerdict {
  kMigrates,
  kErased,  // crypto-shredded (careledger erase): nothing of it can be read
  kWithdrawn,
  kDeceased,
  kNoPlan,
  kDraftOnly,
  kRestricted
};

// "migrates", "withdrawn", "deceased", "no_plan", "draft_only", "restricted".
std::string_view MigrationVerdictName(MigrationVerdict verdict);

MigrationVerdict DecideMigration(const careledger::v1::PlanRecord& plan);

// One thing the export leaves behind.
struct LeftBehind {
  std::string nhs_number;
  // A verdict name other than "migrates" (the plan is left out), or
  // "draft_edit", "open_plan_request", "open_change_request" (not carried).
  std::string reason;
  // The organisations (ODS codes) asked to act on it, sorted: for drafts
  // and requests the owners of its Action Needed item (projections/worklist.h:
  // a draft's contributing organisations, a request's GP practice); for the
  // other reasons the plan's contributing organisations, else its GP
  // practice. Empty when none is known.
  std::vector<std::string> organisations;
  std::string detail;  // for people: why, the request's id and text
};

// What `plan` leaves behind, in a fixed order (the plan, its draft, its
// requests in the order they were made).
std::vector<LeftBehind> LeftBehindOf(const careledger::v1::PlanRecord& plan);

// Per organisation, the counts the notice asks it to act on, and the plans
// it would lose for other reasons.
struct OrganisationCounts {
  std::uint64_t draft_plans = 0;  // draft_only plans and draft edits
  std::uint64_t restricted_records = 0;
  std::uint64_t patient_plan_requests = 0;    // open myCMC requests to start a plan
  std::uint64_t patient_change_requests = 0;  // open myCMC requests to change one
  std::uint64_t withdrawn = 0;
  std::uint64_t deceased = 0;
};

// Adds `entry` to the counts of each of its organisations ("" when it names
// none: "unknown organisation").
void Count(const LeftBehind& entry, std::map<std::string, OrganisationCounts>* counts);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_MIGRATE_SELECT_H_
