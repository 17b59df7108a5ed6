// GET /v1/worklist?scope=me|organisation[&task=<type>][&review_window_days=N]:
// the caller's Action Needed list (access/worklist_read.h, what `careledger
// worklist` shows), with counts by task type; plans needing review are
// those due by today (UTC) + N days (the configuration's review_window_days
// by default; access/review_worklist.h). Whose list comes from the
// credentials only: the caller's own (a patient's: their plan's), or their
// organisation's. The list names patients, so the look is a ledger command
// (ViewWorklist, ledger/worklist_rules.h): its access record, granted or
// refused, is durable before anything is answered (the response's `access`
// says where), a refused caller is recorded like everywhere, and 503 shows
// nothing when the log cannot take the record. `purpose=` is recorded when
// given.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "access/worklist_read.h"
#include "events/ids.h"
#include "projections/worklist.h"
#include "service/internal/service_impl.h"
#include "tools/output.h"

namespace careledger::service {

using careledger::v1::Command;

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
    Command command;
    command.set_command_id(events::RandomUuid());
    command.mutable_actor()->set_purpose(request.get_param_value("purpose"));
    command.mutable_view_worklist();  // whose is known once the caller is
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;
    std::string owner;
    careledger::v1::ViewWorklist* view = command.mutable_view_worklist();
    if (caller.kind == auth::Caller::Kind::kPatient) {
      if (scope != "me" || caller.patient_nhs_number.empty()) {
        return RecordRefusal(response, command, command.actor(), "No such worklist",
                             "a patient's worklist is their own plan's (scope=me); a proxy "
                             "viewer has none");
      }
      view->set_nhs_number(caller.patient_nhs_number);
      owner = projections::PatientWorklist(caller.patient_nhs_number);
    } else if (scope == "me") {
      view->set_user_id(caller.actor.user_id());
      owner = projections::UserWorklist(caller.actor.user_id());
    } else {
      view->set_ods_code(caller.actor.organisation());
      owner = projections::OrganisationWorklist(caller.actor.organisation());
    }
    absl::StatusOr<careledger::v1::CommandResult> recorded = writer->Submit(command);
    if (!recorded.ok()) {
      if (absl::IsAborted(recorded.status())) fenced = true;
      metrics.CountWriterOutcome("failed");
      return Problem(response, HttpStatusOf(recorded.status()), "Worklist not read",
                     fmt::format("the look could not be recorded, so nothing is shown: {}",
                                 std::string(recorded.status().message())));
    }
    if (recorded->outcome() == careledger::v1::OUTCOME_REJECTED) {
      metrics.CountWriterOutcome("rejected");
      return ProblemAt(response, 403, "Worklist refused", recorded->error(), *recorded);
    }
    metrics.CountWriterOutcome("applied");
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
    body["access"] = Position(*recorded);
    Json(response, 200, JsonText(body));
  });
}

}  // namespace careledger::service
