// The UCP migration's FHIR R4: one Bundle (type "collection") per patient
// whose plan migrates (docs/migration.md has the table):
//
//   Patient        NHS number, name, gender, birth date, address, GP
//                  practice (an Organization) and GP name
//   CarePlan       one per published version, oldest first, each with the
//                  whole content of that version (diagnoses and allergies as
//                  contained Condition / AllergyIntolerance, the other
//                  sections as labelled notes); the latest "active", each
//                  older one "revoked" and `replaces`-linked by its successor
//   Consent        the latest published version's consent
//   Provenance     one per published version: its CarePlan, when it was
//                  published, who edited it (author) and who approved it
//                  (attester), each on behalf of their organisation, and the
//                  signed PlanApproved event (urn:careledger:event
//                  "<partition>/<offset>") that published it
//   Practitioner   each named user (editor, approver, reviewing clinician)
//   Organization   each organisation named (ODS code)
//
// Never a working draft, a myCMC request, a restriction, an urgent-care note
// or the myCMC subscription (docs/migration.md says why). Every fullUrl is
// "urn:uuid:<NameUuid of the ledger and the resource's key>", so the same
// plan always exports to the same bytes.
#ifndef CARELEDGER_TOOLS_MIGRATE_FHIR_H_
#define CARELEDGER_TOOLS_MIGRATE_FHIR_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/directory.pb.h"
#include "careledger/v1/projection.pb.h"

namespace careledger::tools {

// One published version and the named users who made it.
struct VersionAuthorship {
  careledger::v1::PublishedVersion version;
  // Who started or edited the draft that became this version (PlanStarted,
  // PlanSectionUpdated since the previous approval or discard), one per user,
  // in the order of their first edit.
  std::vector<careledger::v1::Actor> editors;
};

// The authorship of each of `versions` (oldest first) from the patient's
// history (PlanQueries::ListHistory, in log order). DATA_LOSS when a version
// has no PlanApproved of that number in the history.
absl::StatusOr<std::vector<VersionAuthorship>> AuthorshipOf(
    const std::vector<careledger::v1::PublishedVersion>& versions,
    const std::vector<careledger::v1::HistoryEntry>& history);

// The directory records the Bundle names people and organisations with
// (those not found are named by their identifier only).
struct MigrationDirectory {
  std::map<std::string, careledger::v1::User> users;
  std::map<std::string, careledger::v1::Organisation> organisations;
};

// A patient's Bundle. `versions` is every published version of `plan`,
// oldest first (non-empty). `ledger` names this ledger in the UUIDs.
nlohmann::json MigrationBundle(const careledger::v1::PlanRecord& plan,
                               const std::vector<VersionAuthorship>& versions,
                               const MigrationDirectory& directory, const std::string& ledger);

// The user ids and ODS codes a patient's Bundle names, to look up first.
void NamedInBundle(const std::vector<VersionAuthorship>& versions,
                   std::vector<std::string>* user_ids, std::vector<std::string>* ods_codes);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_MIGRATE_FHIR_H_
