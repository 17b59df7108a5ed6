// Reviewing an investigation alert (docs/domain.md, "Investigation rules"):
// who may, what a review must say, and the signed event it becomes.
//
// The alerts are evaluated on demand from the audit trail
// (projections/investigation.h) and never stored, so the ledger cannot tell
// whether an alert exists: it checks that the id is well formed, and the
// command-line tool checks, before submitting, that the rules raise it.
//
// Only the CMC team (ROLE_AUDITOR), meeting the access prerequisites
// (ledger/access_rules.h, checked before), may review; every other role is
// refused (PERMISSION_DENIED, recorded like any refusal). A granted review
// appends one AlertReviewed to the stream "audit/alert/<alert id>", signed
// like every event, naming the auditor, the outcome and the note; a later
// review of the same alert is that stream's next event and supersedes it.
//
//   alert_id    "<rule>/<partition>-<offset>": rule a-z and '_', partition
//               and offset decimal (the raising audit record's position)
//   outcome     required: JUSTIFIED, INAPPROPRIATE_ACCESS_CONFIRMED,
//               FALSE_POSITIVE or REFERRED
//   note        required for INAPPROPRIATE_ACCESS_CONFIRMED and REFERRED
//               (what follows, or to whom); at most kMaxReviewNoteLength
//   nhs_number  optional; a valid NHS number when given
#ifndef CARELEDGER_LEDGER_ALERT_REVIEW_RULES_H_
#define CARELEDGER_LEDGER_ALERT_REVIEW_RULES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "ledger/limits.h"

namespace careledger::ledger {


bool IsAlertReviewCommand(const careledger::v1::Command& command);

// OK for an id of the form above; INVALID_ARGUMENT saying what is wrong.
absl::Status ValidateAlertId(std::string_view alert_id);

// "audit/alert/<alert id>" (the id unchecked).
std::string AlertStream(std::string_view alert_id);

// The stream a ReviewAlert goes to; INVALID_ARGUMENT for a malformed id or
// NHS number.
absl::StatusOr<std::string> AlertReviewStream(const careledger::v1::ReviewAlert& review);

// Decides a ReviewAlert whose actor met the access prerequisites: its
// AlertReviewed event (body only), or INVALID_ARGUMENT / PERMISSION_DENIED.
absl::StatusOr<std::vector<careledger::v1::Event>> DecideAlertReview(
    const careledger::v1::Command& command);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_ALERT_REVIEW_RULES_H_
