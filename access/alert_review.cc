#include "access/alert_review.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "access/audit_read.h"
#include "ledger/alert_review_rules.h"

namespace careledger::access {

using careledger::v1::Alert;
using careledger::v1::AlertReviewOutcome;

std::string ReviewOutcomeName(AlertReviewOutcome outcome) {
  std::string name = careledger::v1::AlertReviewOutcome_Name(outcome);
  constexpr std::string_view kPrefix = "ALERT_REVIEW_OUTCOME_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return name;
}

absl::StatusOr<AlertReviewOutcome> ParseReviewOutcome(std::string_view name,
                                                      std::string_view text) {
  std::string dashed(text);
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  for (int value = careledger::v1::AlertReviewOutcome_MIN + 1;
       value <= careledger::v1::AlertReviewOutcome_MAX; ++value) {
    if (!careledger::v1::AlertReviewOutcome_IsValid(value)) continue;
    const auto outcome = static_cast<AlertReviewOutcome>(value);
    if (ReviewOutcomeName(outcome) == dashed) return outcome;
  }
  return absl::InvalidArgumentError(fmt::format(
      "{} '{}': use justified, inappropriate-access-confirmed, false-positive or referred", name,
      text));
}

absl::StatusOr<Alert> FindAlert(const projections::ProjectionStore& store,
                                const std::string& alert_id,
                                const projections::RuleThresholds& thresholds,
                                const RecordTime& record_time) {
  if (absl::Status valid = ledger::ValidateAlertId(alert_id); !valid.ok()) return valid;
  const std::size_t slash = alert_id.find('/');
  const std::size_t dash = alert_id.find('-', slash);
  const std::string rule = alert_id.substr(0, slash);
  absl::StatusOr<projections::InvestigationRequest> request =
      AlertsRequest(rule, {}, AuditRange{}, "");
  if (!request.ok()) return request.status();
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  const std::string_view id = alert_id;
  const std::string_view partition_text = id.substr(slash + 1, dash - slash - 1);
  const std::string_view offset_text = id.substr(dash + 1);
  std::from_chars(partition_text.data(), partition_text.data() + partition_text.size(), partition);
  std::from_chars(offset_text.data(), offset_text.data() + offset_text.size(), offset);
  absl::StatusOr<absl::Time> at = record_time(partition, offset);
  if (absl::IsNotFound(at.status())) {
    return absl::NotFoundError(
        fmt::format("no alert {}: the log has no record at partition {} offset {}", alert_id,
                    partition, offset));
  }
  if (!at.ok()) return at.status();
  request->thresholds = thresholds;
  request->from = *at;
  request->to = *at + absl::Microseconds(1);
  absl::StatusOr<projections::Investigation> found = projections::Investigate(store, *request);
  if (!found.ok()) return found.status();
  for (Alert& alert : found->alerts) {
    if (alert.alert_id() == alert_id) return std::move(alert);
  }
  return absl::NotFoundError(fmt::format(
      "the rules do not raise alert {} (with these thresholds: pass the threshold values it was "
      "listed with)",
      alert_id));
}

absl::StatusOr<careledger::v1::CommandResult> ReviewAlert(
    ledger::Writer& writer, careledger::v1::Command command,
    const projections::RuleThresholds& thresholds, ProjectionFeed& feed,
    const RecordTime& record_time, absl::Time deadline) {
  if (!command.has_review_alert()) {
    return absl::InvalidArgumentError("a review takes a review_alert command");
  }
  careledger::v1::ReviewAlert* review = command.mutable_review_alert();
  if (absl::Status valid = ledger::ValidateAlertId(review->alert_id()); !valid.ok()) return valid;
  if (command.actor().role() == careledger::v1::ROLE_AUDITOR) {
    if (absl::Status advanced = feed.Advance(deadline); !advanced.ok()) return advanced;
    absl::StatusOr<Alert> alert =
        FindAlert(feed.store(), review->alert_id(), thresholds, record_time);
    if (!alert.ok()) return alert.status();
    review->set_nhs_number(alert->nhs_number());
  }
  return writer.Submit(command);
}

}  // namespace careledger::access
