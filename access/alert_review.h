// An auditor's review of an investigation alert: what `careledger audit
// review` and the service's POST /v1/audit/alerts/{id}/review both do.
//
// For the CMC team the alert must be one the rules raise now (with the
// thresholds it was listed with), and the review names the alert's patient,
// so the review is in their trail. Anyone else's attempt goes straight to
// the ledger, which refuses it and records the refusal: whether an alert
// exists is shown to the CMC team only. The ledger decides the review
// (ledger/alert_review_rules.h); a granted one is an AlertReviewed event.
#ifndef CARELEDGER_ACCESS_ALERT_REVIEW_H_
#define CARELEDGER_ACCESS_ALERT_REVIEW_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/plan_read.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/writer.h"
#include "projections/investigation.h"

namespace careledger::access {

// "justified", "inappropriate-access-confirmed", "false-positive",
// "referred" (careledger.v1.AlertReviewOutcome, dashed, lower case).
std::string ReviewOutcomeName(careledger::v1::AlertReviewOutcome outcome);
// The outcome of one of those names (underscores taken for dashes);
// INVALID_ARGUMENT naming `name` (the flag or field) otherwise.
absl::StatusOr<careledger::v1::AlertReviewOutcome> ParseReviewOutcome(std::string_view name,
                                                                      std::string_view text);

// The recorded time of the log record at (partition, offset); NOT_FOUND
// when the log has none there. The front end's: it reads the log.
using RecordTime =
    std::function<absl::StatusOr<absl::Time>(std::int32_t partition, std::int64_t offset)>;

// The alert `alert_id` ("<rule>/<partition>-<offset>") as the rules raise it
// over `store` with `thresholds`. INVALID_ARGUMENT for a malformed id or an
// unknown rule; NOT_FOUND when the log has no record at its position or the
// rules do not raise it.
absl::StatusOr<careledger::v1::Alert> FindAlert(const projections::ProjectionStore& store,
                                                const std::string& alert_id,
                                                const projections::RuleThresholds& thresholds,
                                                const RecordTime& record_time);

// Submits `command` (a review_alert) and returns the writer's result; for an
// actor of ROLE_AUDITOR, first brings `feed` forward once and finds the
// alert (FindAlert's errors; nothing is submitted then) and names its
// patient in the review. INVALID_ARGUMENT (nothing submitted) for a command
// that is not a review_alert or a malformed alert id.
absl::StatusOr<careledger::v1::CommandResult> ReviewAlert(
    ledger::Writer& writer, careledger::v1::Command command,
    const projections::RuleThresholds& thresholds, ProjectionFeed& feed,
    const RecordTime& record_time, absl::Time deadline);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_ALERT_REVIEW_H_
