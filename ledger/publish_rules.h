// What a plan must hold before a clinician may publish it: the care homes
// guide's table of mandatory fields (../shared/seeds/001_*, "A CMC plan cannot
// be finalised (published) until ..."), the consistency of the clinical
// recommendations with the CPR decision, and the review date rules.
#ifndef CARELEDGER_LEDGER_PUBLISH_RULES_H_
#define CARELEDGER_LEDGER_PUBLISH_RULES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "careledger/v1/plan.pb.h"
#include "ledger/directory.h"

namespace careledger::ledger {

inline constexpr int kDefaultReviewMonths = 3;
inline constexpr int kMaxReviewMonths = 12;

// The mandatory fields `plan` lacks, each named by its path in the CarePlan
// message ("medical_background.prognosis",
// "resuscitation.dnacpr_answers[DNACPR_QUESTION_MENTAL_CAPACITY]", ...), in
// the table's order. Empty when nothing is missing.
std::vector<std::string> MissingMandatoryFields(const careledger::v1::CarePlan& plan);

// OK when `plan` may be published on `today`; otherwise FAILED_PRECONDITION
// naming every missing field, or the inconsistency: clinical recommendations
// that contradict the CPR decision, allergies both listed and "none known",
// a review date in the past or more than a year away, a reviewing clinician
// who is not a registered clinician.
absl::Status CheckPublishable(const careledger::v1::CarePlan& plan, const Directory& directory,
                              absl::CivilDay today);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_PUBLISH_RULES_H_
