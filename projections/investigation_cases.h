// Investigation cases (ledger/case_rules.h) as the family `cases` holds them
// (projections/audit_projection.h): every signed case event, by case id, in
// recorded order. A case is the fold of its entries; nothing is folded at
// projection time, so a rebuild writes the same bytes (each key and value is
// fixed by its record alone).
//
// Names are filled in when read, from the directory as it stands now: each
// entry's actor_name, and a user's case's user_name ("" for a user the
// directory does not know).
//
// Thread safety: every function may be called from any thread, also while a
// projector is committing.
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_CASES_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_CASES_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/audit.pb.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// Which cases to list; each field unset or "" matches every case.
struct CaseFilter {
  careledger::v1::CaseStatus status = careledger::v1::CASE_STATUS_UNSPECIFIED;
  std::string user_id;     // cases on this user
  std::string nhs_number;  // cases on this patient
};

// The case `entries` (one case's, in any order) fold to, entries included,
// oldest (lowest stream_seq) first. An alert added twice is listed once.
careledger::v1::InvestigationCase FoldCase(std::vector<careledger::v1::CaseEntry> entries);

// Every case matching `filter`, without their entries, newest opened first
// (case id breaking ties). DATA_LOSS for an unreadable stored entry.
absl::StatusOr<std::vector<careledger::v1::InvestigationCase>> ListCases(
    const ProjectionStore& store, const CaseFilter& filter);

// One case whole, with its entries. NOT_FOUND when no case has this id.
absl::StatusOr<careledger::v1::InvestigationCase> GetCase(const ProjectionStore& store,
                                                          std::string_view case_id);

// For every alert in a case: the ids of the cases it is in, in case id order.
absl::StatusOr<std::map<std::string, std::vector<std::string>>> CasesByAlert(
    const ProjectionStore& store);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_CASES_H_
