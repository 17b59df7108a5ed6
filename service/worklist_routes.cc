// GET /v1/worklist?scope=me|organisation[&task=<type>][&review_window_days=N]:
// the caller's Action Needed list (access/worklist_read.h, what `careledger
// worklist` shows), with counts by task type; plans needing review are
// those due by today (UTC) + N days (the configuration's review_window_days
// by default; access/review_worklist.h). Whose list comes from the
// credentials only: the caller's own (a patient's: their plan's), or their
// organisation's. A worklist read is not a ledger command (it lists NHS
// numbers and item titles, never plan content), so nothing is recorded; a
// caller the credentials do not admit is refused like everywhere (401, or
// 403 with the reason), but that refusal is not on the log
// (docs/service.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "access/worklist_read.h"
#include "projections/worklist.h"
#include "service/internal/service_impl.h"
#include "tools/output.h"

namespace careledger::service {

void Service::Impl::AddWorklistRoutes() {
  server->Get("/v1/worklist", [this](const httplib::Request& request, httplib::Response& response) {
    const std::string scope =
        request.has_param("scope") ? request.get_param_value("scope") : std::string("me");
    if (scope != "me" && scope != "organisation") {
      return Problem(response, 400, "Bad worklist request", "scope must be me or organisation");
    }
    std::optional<careledger::v1::WorklistKind> task;
    if (request.has_param("task")) {
      absl::StatusOr<careledger::v1::WorklistKind> parsed =
          access::ParseTask(request.get_param_value("task"));
      if (!parsed.ok()) {
        return Problem(response, 400, "Bad worklist request",
                       std::string(parsed.status().message()));
      }
      task = *parsed;
    }
    int window = config.review_window_days;
    if (request.has_param("review_window_days")) {
      absl::StatusOr<int> parsed =
          access::ParseReviewWindow(request.get_param_value("review_window_days"));
      if (!parsed.ok()) {
        return Problem(response, 400, "Bad worklist request",
                       std::string(parsed.status().message()));
      }
      window = *parsed;
    }
    RefusedCaller refused;
    absl::StatusOr<auth::Caller> caller =
        authenticator->Authenticate(CredentialsOf(request), &refused);
    if (absl::IsUnauthenticated(caller.status())) {
      response.set_header("WWW-Authenticate", R"(Bearer realm="careledger")");
      return Problem(response, 401, "Not authenticated", std::string(caller.status().message()));
    }
    if (absl::IsPermissionDenied(caller.status())) {
      return Problem(response, 403, "Caller refused", refused.reason);
    }
    if (!caller.ok()) {
      return Problem(response, HttpStatusOf(caller.status()), "Caller not resolved",
                     std::string(caller.status().message()));
    }
    std::string owner;
    if (caller->kind == auth::Caller::Kind::kPatient) {
      if (scope != "me" || caller->patient_nhs_number.empty()) {
        return Problem(response, 403, "No such worklist",
                       "a patient's worklist is their own plan's (scope=me); a proxy viewer "
                       "has none");
      }
      owner = projections::PatientWorklist(caller->patient_nhs_number);
    } else if (scope == "me") {
      owner = projections::UserWorklist(caller->actor.user_id());
    } else {
      owner = projections::OrganisationWorklist(caller->actor.organisation());
    }
    absl::StatusOr<access::Worklist> worklist = access::ReadWorklist(
        projection->store(), owner, task, access::ReviewHorizon::At(absl::Now(), window));
    if (!worklist.ok()) {
      return Problem(response, HttpStatusOf(worklist.status()), "Worklist not read",
                     std::string(worklist.status().message()));
    }
    nlohmann::json items = nlohmann::json::array();
    for (const careledger::v1::WorklistItem& item : worklist->items) {
      nlohmann::json shown = nlohmann::json::parse(tools::ToJsonLine(item));
      shown["task"] = access::TaskName(item.kind());
      items.push_back(std::move(shown));
    }
    nlohmann::json body = access::SummaryJson(*worklist);
    body["scope"] = scope;
    if (task) body["task"] = access::TaskName(*task);
    body["items"] = std::move(items);
    Json(response, 200, JsonText(body));
  });
}

}  // namespace careledger::service
