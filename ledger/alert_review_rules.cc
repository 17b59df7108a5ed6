#include "ledger/alert_review_rules.h"

#include <fmt/format.h>

#include "events/text.h"
#include "ledger/nhs_number.h"

namespace careledger::ledger {
namespace {

bool AllDigits(std::string_view text) {
  return !text.empty() && text.size() <= 19 &&
         text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

bool IsAlertReviewCommand(const careledger::v1::Command& command) {
  return command.has_review_alert();
}

absl::Status ValidateAlertId(std::string_view alert_id) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "an alert id is '<rule>/<partition>-<offset>' (as `audit alerts` lists it), not '{}'",
        alert_id));
  };
  const std::size_t slash = alert_id.find('/');
  if (slash == std::string_view::npos || slash == 0) return bad();
  const std::string_view rule = alert_id.substr(0, slash);
  if (rule.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string_view::npos) {
    return bad();
  }
  const std::string_view where = alert_id.substr(slash + 1);
  const std::size_t dash = where.find('-');
  if (dash == std::string_view::npos || !AllDigits(where.substr(0, dash)) ||
      !AllDigits(where.substr(dash + 1))) {
    return bad();
  }
  return absl::OkStatus();
}

std::string AlertStream(std::string_view alert_id) {
  return fmt::format("audit/alert/{}", alert_id);
}

absl::StatusOr<std::string> AlertReviewStream(const careledger::v1::ReviewAlert& review) {
  if (absl::Status valid = ValidateAlertId(review.alert_id()); !valid.ok()) return valid;
  if (!review.nhs_number().empty()) {
    if (absl::Status valid = ValidateNhsNumber(review.nhs_number()); !valid.ok()) return valid;
  }
  return AlertStream(review.alert_id());
}

absl::StatusOr<std::vector<careledger::v1::Event>> DecideAlertReview(
    const careledger::v1::Command& command) {
  const careledger::v1::ReviewAlert& review = command.review_alert();
  if (command.actor().role() != careledger::v1::ROLE_AUDITOR) {
    return absl::PermissionDeniedError(
        fmt::format("role {} may not review_alert: only the CMC team reviews alerts",
                    careledger::v1::Role_Name(command.actor().role())));
  }
  if (absl::StatusOr<std::string> stream = AlertReviewStream(review); !stream.ok()) {
    return stream.status();
  }
  const careledger::v1::AlertReviewOutcome outcome = review.outcome();
  if (outcome == careledger::v1::ALERT_REVIEW_OUTCOME_UNSPECIFIED ||
      !careledger::v1::AlertReviewOutcome_IsValid(outcome)) {
    return absl::InvalidArgumentError(
        "a review needs an outcome: justified, inappropriate-access-confirmed, false-positive "
        "or referred");
  }
  if (review.note().empty() &&
      (outcome == careledger::v1::ALERT_REVIEW_OUTCOME_INAPPROPRIATE_ACCESS_CONFIRMED ||
       outcome == careledger::v1::ALERT_REVIEW_OUTCOME_REFERRED)) {
    return absl::InvalidArgumentError(
        fmt::format("a review with outcome {} needs a note: what follows, or to whom it went",
                    careledger::v1::AlertReviewOutcome_Name(outcome)));
  }
  if (events::CountCharacters(review.note()).value_or(review.note().size()) >
      kMaxReviewNoteLength) {
    return absl::InvalidArgumentError(
        fmt::format("a review note is at most {} characters", kMaxReviewNoteLength));
  }
  careledger::v1::Event event;
  careledger::v1::AlertReviewed* reviewed = event.mutable_alert_reviewed();
  reviewed->set_alert_id(review.alert_id());
  reviewed->set_outcome(outcome);
  reviewed->set_note(review.note());
  reviewed->set_nhs_number(review.nhs_number());
  return std::vector<careledger::v1::Event>{std::move(event)};
}

}  // namespace careledger::ledger
