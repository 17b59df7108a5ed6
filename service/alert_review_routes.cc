// POST /v1/audit/alerts/{rule}/{partition}-{offset}/review with
// {"outcome": "...", "note": "...", "thresholds": ["K=V", ...]}: an auditor's
// review of an alert, a command (access/alert_review.h, what `careledger
// audit review` does): 200 applied; 400 a bad body (nothing recorded); 404
// for the CMC team, an alert the rules do not raise (nothing recorded); 422
// rejected by the ledger (recorded). Idempotency-Key, as for POST
// /v1/commands: the command id scoped to the caller, so a retry is answered
// DUPLICATE and applied once.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "access/alert_review.h"
#include "access/audit_read.h"
#include "events/envelope.h"
#include "events/ids.h"
#include "events/time_util.h"
#include "service/internal/service_impl.h"

namespace careledger::service {
namespace {

using careledger::v1::Command;
using careledger::v1::CommandResult;

// The review's body: {"outcome", "note", "thresholds"}, nothing else.
absl::Status ParseReview(const std::string& text, careledger::v1::ReviewAlert* review,
                         std::vector<std::string>* thresholds) {
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key == "outcome" && value.is_string()) {
      absl::StatusOr<careledger::v1::AlertReviewOutcome> outcome =
          access::ParseReviewOutcome("outcome", value.get<std::string>());
      if (!outcome.ok()) return outcome.status();
      review->set_outcome(*outcome);
    } else if (key == "note" && value.is_string()) {
      review->set_note(value.get<std::string>());
    } else if (key == "thresholds" && value.is_array()) {
      for (const nlohmann::json& item : value) {
        if (!item.is_string())
          return absl::InvalidArgumentError("thresholds are KEY=VALUE strings");
        thresholds->push_back(item.get<std::string>());
      }
    } else {
      return absl::InvalidArgumentError(fmt::format(
          "unknown or mistyped field '{}' (outcome: string, note: string, thresholds: [string])",
          key));
    }
  }
  if (review->outcome() == careledger::v1::ALERT_REVIEW_OUTCOME_UNSPECIFIED) {
    return absl::InvalidArgumentError("outcome is required");
  }
  return absl::OkStatus();
}

}  // namespace

void Service::Impl::AddAlertReviewRoutes() {
  server->Post(
      R"(/v1/audit/alerts/([a-z_]+)/([0-9]+-[0-9]+)/review)",
      [this](const httplib::Request& request, httplib::Response& response) {
        Command command;
        careledger::v1::ReviewAlert* review = command.mutable_review_alert();
        review->set_alert_id(
            fmt::format("{}/{}", std::string(request.matches[1]), std::string(request.matches[2])));
        std::vector<std::string> assignments;
        if (absl::Status parsed = ParseReview(request.body, review, &assignments); !parsed.ok()) {
          return Problem(response, 400, "Bad review", std::string(parsed.message()));
        }
        absl::StatusOr<projections::InvestigationRequest> thresholds =
            access::AlertsRequest("", assignments, {}, "");
        if (!thresholds.ok()) {
          return Problem(response, 400, "Bad review", std::string(thresholds.status().message()));
        }
        command.set_command_id(events::RandomUuid());
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        if (!UseIdempotencyKey(request, response, caller, &command)) return;
        auto record_time = [this](std::int32_t partition,
                                  std::int64_t offset) -> absl::StatusOr<absl::Time> {
          absl::StatusOr<events::LogRecord> record = LogRecordAt(partition, offset);
          if (!record.ok()) return absl::NotFoundError(record.status().message());
          absl::StatusOr<events::OpenedRecord> opened =
              events::OpenRecord(record->key, record->value);
          if (!opened.ok()) return opened.status();
          return events::FromTimestamp(opened->event.recorded_at());
        };
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<CommandResult> result = access::ReviewAlert(
            *writer, command, thresholds->thresholds, *projection, record_time, deadline);
        if (!result.ok()) {
          if (absl::IsAborted(result.status())) fenced = true;
          if (!absl::IsNotFound(result.status()) && !absl::IsInvalidArgument(result.status())) {
            metrics.CountWriterOutcome("failed");
          }
          return Problem(response, HttpStatusOf(result.status()), "Review not recorded",
                         std::string(result.status().message()));
        }
        if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
          metrics.CountWriterOutcome("rejected");
          return ProblemAt(response, 422, "Review rejected", result->error(), *result);
        }
        metrics.CountWriterOutcome("applied");
        nlohmann::json body = Position(*result);
        body["outcome"] = careledger::v1::Outcome_Name(result->outcome());
        body["alert_id"] = review->alert_id();
        Json(response, 200, JsonText(body));
      });
}

}  // namespace careledger::service
