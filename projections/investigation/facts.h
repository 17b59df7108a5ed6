// What the projection says about the patients, users, devices and
// organisations an audit record names, as the investigation rules read it
// (the "What the store holds" paragraph of projections/investigation.h),
// each looked up once per investigation. Internal to the rules.
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_FACTS_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_FACTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "careledger/v1/directory.pb.h"
#include "careledger/v1/plan.pb.h"
#include "careledger/v1/projection.pb.h"
#include "projections/directory_queries.h"
#include "projections/plan_queries.h"
#include "projections/projection_store.h"

namespace careledger::projections::investigation {

// What one version of a plan's content says about who is related to it.
struct Content {
  std::string gp_practice;
  std::vector<std::string> contact_organisations;
  std::vector<std::string> named_users;  // reviewing clinician, proxy viewers
  std::string family_name;               // NormalisedText
  std::string address;                   // NormalisedText
  std::string postcode;                  // NormalisedPostcode
  std::string street;                    // StreetOf(address)
};

Content ContentOf(const careledger::v1::CarePlan& plan);

// A patient's plan as it is now.
struct Patient {
  std::vector<Content> contents;  // the published version and the working draft, now
  // The published version contents.front() holds: 0 when none is (never
  // published, or its content erased).
  std::uint64_t published_version = 0;
  std::set<std::string> organisations;  // related organisations (GP, contributors, contacts, ...)
  std::set<std::string> users;          // related users (starter, submission, named)
  std::optional<absl::CivilDay> died_on;
  std::optional<absl::Time> death_recorded_at;  // unset in plans folded before it was kept
  bool restricted_now = false;
  absl::Time restricted_since = absl::InfiniteFuture();
  std::set<std::string> allowed_now;
};

Patient PatientOf(const careledger::v1::PlanRecord& record);

// Lookups over one store, each answered from the store once and then from
// memory. A missing record is nullptr (or UNSPECIFIED), never an error;
// errors are the store's.
class Facts {
 public:
  explicit Facts(const ProjectionStore* store) : plans_(store), directory_(store) {}

  absl::StatusOr<const Patient*> FindPatient(const std::string& nhs);
  // The content of published version `version` of the patient's plan; for
  // the current one, once FindPatient has read the plan, its Patient's
  // (the same content: a version's is the published plan at its approval,
  // which only the next approval or an erasure changes), with no read.
  // Most reads show the current version.
  absl::StatusOr<const Content*> FindVersion(const std::string& nhs, std::uint64_t version);
  absl::StatusOr<const careledger::v1::User*> FindUser(const std::string& user_id);
  absl::StatusOr<const careledger::v1::DirectoryDevice*> FindDevice(const std::string& device_id);
  absl::StatusOr<careledger::v1::OrganisationType> FindOrganisationType(const std::string& ods);
  // Who was named on the patient's restriction at `at` (its author
  // included); nullopt when none was in force.
  absl::StatusOr<std::optional<std::set<std::string>>> AllowedAt(const std::string& nhs,
                                                                 absl::Time at,
                                                                 const Patient* patient);

 private:
  // One restriction, in force over [since, until).
  struct RestrictionSpan {
    absl::Time since;
    absl::Time until = absl::InfiniteFuture();
    std::set<std::string> allowed;
  };

  PlanQueries plans_;
  DirectoryQueries directory_;
  std::map<std::string, std::optional<Patient>> patients_;
  std::map<std::pair<std::string, std::uint64_t>, std::optional<Content>> versions_;
  std::map<std::string, std::optional<careledger::v1::User>> users_;
  std::map<std::string, std::optional<careledger::v1::DirectoryDevice>> devices_;
  std::map<std::string, careledger::v1::OrganisationType> organisation_types_;
  std::map<std::string, std::vector<RestrictionSpan>> restrictions_;
};

}  // namespace careledger::projections::investigation

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_FACTS_H_
