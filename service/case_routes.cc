// The CMC team's investigation cases (ledger/case_rules.h,
// access/investigation_case.h): a case groups alerts and notes on one
// person or patient.
//
//   POST /v1/audit/cases                       {"title", "user_id" | "nhs_number", "case_id"?}
//   POST /v1/audit/cases/{id}/alerts           {"alert_id", "thresholds"?}
//   POST /v1/audit/cases/{id}/notes            {"note"}
//   POST /v1/audit/cases/{id}/close            {"outcome", "note"?}
//   GET  /v1/audit/cases?purpose=&status=open|closed&user=&patient=
//   GET  /v1/audit/cases/{id}?purpose=&threshold=K=V...
//
// Each POST is a command: 200 applied (or DUPLICATE for a retry with the
// same Idempotency-Key, as for POST /v1/commands); 400 a bad body (nothing
// recorded); 404 for the CMC team, an alert the rules do not raise (nothing
// recorded); 403 a caller who is not of the CMC team, 422 a case command
// the ledger refuses (no such case, a closed case): both recorded. A case
// opened without a case_id is named from its command id
// (access::CaseIdFor), so a retry names the same case.
// Each GET is an audit query of scope CASES, recorded before anything is
// shown (403 when refused, as for every audit route). One case is shown with
// its entries and its alerts as the rules raise them now (with their reasons
// and latest reviews; an alert the rules no longer raise is listed by id
// with "found": false).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "access/audit_read.h"
#include "access/investigation_case.h"
#include "events/envelope.h"
#include "events/ids.h"
#include "events/time_util.h"
#include "ledger/case_rules.h"
#include "ledger/nhs_number.h"
#include "service/command_request.h"
#include "service/internal/service_impl.h"
#include "tools/output.h"

namespace careledger::service {
namespace {

using careledger::v1::Command;
using careledger::v1::CommandResult;

nlohmann::json MessageJson(const google::protobuf::Message& message) {
  return nlohmann::json::parse(tools::ToJsonLine(message));
}

// The body's fields: each a string (thresholds: [string]); unknown or
// mistyped ones refused.
absl::StatusOr<std::map<std::string, std::string>> ParseBody(
    const std::string& text, const std::vector<std::string>& allowed,
    std::vector<std::string>* thresholds) {
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  std::map<std::string, std::string> fields;
  for (const auto& [key, value] : body.items()) {
    if (key == "thresholds" && thresholds != nullptr && value.is_array()) {
      for (const nlohmann::json& item : value) {
        if (!item.is_string()) {
          return absl::InvalidArgumentError("thresholds are KEY=VALUE strings");
        }
        thresholds->push_back(item.get<std::string>());
      }
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() || !value.is_string()) {
      return absl::InvalidArgumentError(fmt::format("unknown or mistyped field '{}' (strings: {})",
                                                    key, fmt::join(allowed, ", ")));
    }
    fields[key] = value.get<std::string>();
  }
  return fields;
}

// The record time of the log record at a position (access::RecordTime).
access::RecordTime RecordTimeOf(Service::Impl* impl) {
  return [impl](std::int32_t partition, std::int64_t offset) -> absl::StatusOr<absl::Time> {
    absl::StatusOr<events::LogRecord> record = impl->LogRecordAt(partition, offset);
    if (!record.ok()) return absl::NotFoundError(record.status().message());
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record->key, record->value);
    if (!opened.ok()) return opened.status();
    return events::FromTimestamp(opened->event.recorded_at());
  };
}

}  // namespace

void Service::Impl::AddCaseRoutes() {
  // Admits, scopes the command id, submits and answers a case command.
  // `named_by_command`: an OpenCase whose case id is derived from its
  // command id (access::CaseIdFor).
  auto act = [this](const httplib::Request& request, httplib::Response& response, Command command,
                    const std::vector<std::string>& assignments, bool named_by_command) {
    absl::StatusOr<projections::InvestigationRequest> thresholds =
        access::AlertsRequest("", assignments, {}, "");
    if (!thresholds.ok()) {
      return Problem(response, 400, "Bad case command", std::string(thresholds.status().message()));
    }
    command.set_command_id(events::RandomUuid());
    if (named_by_command) {
      command.mutable_open_case()->set_case_id(access::CaseIdFor(command.command_id()));
    }
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;
    if (const std::string key = request.get_header_value("Idempotency-Key"); !key.empty()) {
      absl::StatusOr<std::string> scoped = ScopedCommandId(caller.actor.user_id(), key);
      if (!scoped.ok()) {
        return Problem(response, 400, "Idempotency key too long",
                       std::string(scoped.status().message()));
      }
      command.set_command_id(*std::move(scoped));
      if (named_by_command) {
        command.mutable_open_case()->set_case_id(access::CaseIdFor(command.command_id()));
      }
    }
    const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
    absl::StatusOr<CommandResult> result = access::ActOnCase(
        *writer, command, thresholds->thresholds, *projection, RecordTimeOf(this), deadline);
    if (!result.ok()) {
      if (absl::IsAborted(result.status())) fenced = true;
      if (!absl::IsNotFound(result.status()) && !absl::IsInvalidArgument(result.status())) {
        metrics.CountWriterOutcome("failed");
      }
      return Problem(response, HttpStatusOf(result.status()), "Case command not recorded",
                     std::string(result.status().message()));
    }
    if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
      metrics.CountWriterOutcome("rejected");
      const bool auditor = caller.actor.role() == careledger::v1::ROLE_AUDITOR;
      return ProblemAt(response, auditor ? 422 : 403,
                       auditor ? "Case command rejected" : "Case command refused", result->error(),
                       *result);
    }
    metrics.CountWriterOutcome("applied");
    nlohmann::json body = Position(*result);
    body["outcome"] = careledger::v1::Outcome_Name(result->outcome());
    body["case_id"] = ledger::CaseIdOf(command);
    Json(response, 200, JsonText(body));
  };

  server->Post(
      "/v1/audit/cases", [act](const httplib::Request& request, httplib::Response& response) {
        absl::StatusOr<std::map<std::string, std::string>> fields =
            ParseBody(request.body, {"case_id", "title", "user_id", "nhs_number"}, nullptr);
        if (!fields.ok()) {
          return Problem(response, 400, "Bad case command", std::string(fields.status().message()));
        }
        Command command;
        careledger::v1::OpenCase* open = command.mutable_open_case();
        open->set_case_id((*fields)["case_id"]);
        open->set_title((*fields)["title"]);
        open->set_user_id((*fields)["user_id"]);
        open->set_nhs_number(ledger::NhsNumberAsEntered((*fields)["nhs_number"]));
        act(request, response, std::move(command), {}, open->case_id().empty());
      });

  server->Post(R"(/v1/audit/cases/([a-z0-9-]{1,64})/alerts)", [act](const httplib::Request& request,
                                                                    httplib::Response& response) {
    std::vector<std::string> assignments;
    absl::StatusOr<std::map<std::string, std::string>> fields =
        ParseBody(request.body, {"alert_id"}, &assignments);
    if (!fields.ok()) {
      return Problem(response, 400, "Bad case command", std::string(fields.status().message()));
    }
    Command command;
    command.mutable_add_case_alert()->set_case_id(request.matches[1]);
    command.mutable_add_case_alert()->set_alert_id((*fields)["alert_id"]);
    act(request, response, std::move(command), assignments, false);
  });

  server->Post(R"(/v1/audit/cases/([a-z0-9-]{1,64})/notes)", [act](const httplib::Request& request,
                                                                   httplib::Response& response) {
    absl::StatusOr<std::map<std::string, std::string>> fields =
        ParseBody(request.body, {"note"}, nullptr);
    if (!fields.ok()) {
      return Problem(response, 400, "Bad case command", std::string(fields.status().message()));
    }
    Command command;
    command.mutable_add_case_note()->set_case_id(request.matches[1]);
    command.mutable_add_case_note()->set_note((*fields)["note"]);
    act(request, response, std::move(command), {}, false);
  });

  server->Post(R"(/v1/audit/cases/([a-z0-9-]{1,64})/close)", [act](const httplib::Request& request,
                                                                   httplib::Response& response) {
    absl::StatusOr<std::map<std::string, std::string>> fields =
        ParseBody(request.body, {"outcome", "note"}, nullptr);
    absl::StatusOr<careledger::v1::AlertReviewOutcome> outcome =
        fields.ok() ? access::ParseReviewOutcome("outcome", (*fields)["outcome"])
                    : absl::StatusOr<careledger::v1::AlertReviewOutcome>(fields.status());
    if (!outcome.ok()) {
      return Problem(response, 400, "Bad case command", std::string(outcome.status().message()));
    }
    Command command;
    command.mutable_close_case()->set_case_id(request.matches[1]);
    command.mutable_close_case()->set_outcome(*outcome);
    command.mutable_close_case()->set_note((*fields)["note"]);
    act(request, response, std::move(command), {}, false);
  });

  server->Get(
      "/v1/audit/cases", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string purpose = request.get_param_value("purpose");
        absl::StatusOr<careledger::v1::CaseStatus> status =
            access::ParseCaseStatus("status", request.get_param_value("status"));
        if (purpose.empty() || !status.ok()) {
          return Problem(response, 400, "Bad audit query",
                         purpose.empty() ? "every read names its purpose of use: ?purpose=..."
                                         : std::string(status.status().message()));
        }
        projections::CaseFilter filter;
        filter.status = *status;
        filter.user_id = request.get_param_value("user");
        filter.nhs_number = ledger::NhsNumberAsEntered(request.get_param_value("patient"));
        Command command;
        command.set_command_id(events::RandomUuid());
        command.mutable_actor()->set_purpose(purpose);
        command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_CASES);
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<access::CasesRead> read =
            access::ReadCases(*writer, command, filter, *projection, deadline);
        if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) return;
        nlohmann::json cases = nlohmann::json::array();
        for (const careledger::v1::InvestigationCase& found : *read->cases) {
          nlohmann::json item = MessageJson(found);
          item["status"] = access::CaseStatusName(found.status());
          cases.push_back(std::move(item));
        }
        nlohmann::json body;
        body["cases"] = std::move(cases);
        body["access"] = Receipt(read->recorded);
        Json(response, 200, JsonText(body));
      });

  server->Get(R"(/v1/audit/cases/([a-z0-9-]{1,64}))", [this](const httplib::Request& request,
                                                             httplib::Response& response) {
    const std::string purpose = request.get_param_value("purpose");
    if (purpose.empty()) {
      return Problem(response, 400, "Bad audit query",
                     "every read names its purpose of use: ?purpose=...");
    }
    std::vector<std::string> assignments;
    for (std::size_t i = 0; i < request.get_param_value_count("threshold"); ++i) {
      assignments.push_back(request.get_param_value("threshold", i));
    }
    absl::StatusOr<projections::InvestigationRequest> thresholds =
        access::AlertsRequest("", assignments, {}, "");
    if (!thresholds.ok()) {
      return Problem(response, 400, "Bad audit query", std::string(thresholds.status().message()));
    }
    Command command;
    command.set_command_id(events::RandomUuid());
    command.mutable_actor()->set_purpose(purpose);
    command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_CASES);
    command.mutable_audit_query()->set_subject(request.matches[1]);
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;
    const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
    absl::StatusOr<access::CaseRead> read =
        access::ReadCase(*writer, command, *projection, deadline);
    if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) return;
    const careledger::v1::InvestigationCase& found = *read->found;
    nlohmann::json body = MessageJson(found);
    body["status"] = access::CaseStatusName(found.status());
    nlohmann::json listed_alerts = nlohmann::json::array();
    for (const std::string& alert_id : found.alert_ids()) {
      absl::StatusOr<careledger::v1::Alert> alert = access::FindAlert(
          projection->store(), alert_id, thresholds->thresholds, RecordTimeOf(this));
      if (alert.ok()) {
        nlohmann::json item = MessageJson(*alert);
        item["found"] = true;
        listed_alerts.push_back(std::move(item));
      } else if (absl::IsNotFound(alert.status())) {
        listed_alerts.push_back({{"alert_id", alert_id}, {"found", false}});
      } else {
        return Problem(response, HttpStatusOf(alert.status()), "Case not read",
                       std::string(alert.status().message()));
      }
    }
    body["alerts"] = std::move(listed_alerts);
    body["access"] = Receipt(read->recorded);
    Json(response, 200, JsonText(body));
  });
}

}  // namespace careledger::service
