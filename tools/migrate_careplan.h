// The CarePlan resource of one published version, for migrate_fhir.h's
// Bundle: the version's whole content, as FHIR R4 can hold it without a
// terminology server (diagnoses and allergies as contained resources, every
// other section as a labelled Annotation).
#ifndef CARELEDGER_TOOLS_MIGRATE_CAREPLAN_H_
#define CARELEDGER_TOOLS_MIGRATE_CAREPLAN_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "careledger/v1/common.pb.h"
#include "careledger/v1/plan.pb.h"

namespace careledger::tools {

// The references a CarePlan makes to other entries of its Bundle.
struct CarePlanLinks {
  std::string patient;                    // "urn:uuid:..."
  std::string author;                     // the approver's Practitioner
  std::vector<std::string> contributors;  // editors' and the approver's
  std::string replaces;                   // the previous version's CarePlan, or ""
  std::string reviewing_clinician;        // a Practitioner, or ""
};

// "YYYY-MM-DD", or "" for an unset date (year 0).
std::string DateText(const careledger::v1::Date& date);

// The CarePlan of version `version` of `plan`, published at `published_at`
// (RFC 3339); `latest` decides its status ("active", else "revoked").
nlohmann::json CarePlanOf(const careledger::v1::CarePlan& plan, const std::string& nhs_number,
                          std::uint64_t version, const std::string& published_at, bool latest,
                          const CarePlanLinks& links);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_MIGRATE_CAREPLAN_H_
