// The CMC figures over HTTPS: what `careledger stats` answers, through the
// same use-case (access/stats_read.h). An AuditQuery of scope STATISTICS,
// decided and recorded by the ledger before anything is shown (only the CMC
// team; this file adds no role logic); a refused one answers 403 after its
// DENIED record is durable. Bad parameters answer 400 and append nothing.
//
//   GET /v1/stats?purpose=&period=month|year&from=DAY&to=DAY&org=ODS
//       &review_on=DAY&unsuppressed=true
//
// Counts from 1 to 4 are "<5" unless unsuppressed=true (recorded as
// "audit_statistics_unsuppressed"); docs/governance.md "Statistics".
#include <nlohmann/json.hpp>

#include "access/stats_read.h"
#include "events/ids.h"
#include "service/internal/service_impl.h"

namespace careledger::service {

void Service::Impl::AddStatsRoutes() {
  server->Get("/v1/stats", [this](const httplib::Request& request, httplib::Response& response) {
    const std::string purpose = request.get_param_value("purpose");
    if (purpose.empty()) {
      return Problem(response, 400, "Bad statistics query",
                     "every read names its purpose of use: ?purpose=...");
    }
    access::StatisticsInput input;
    if (request.has_param("period")) input.period = request.get_param_value("period");
    input.from = request.get_param_value("from");
    input.to = request.get_param_value("to");
    input.organisation = request.get_param_value("org");
    input.review_on = request.get_param_value("review_on");
    const std::string unsuppressed = request.get_param_value("unsuppressed");
    if (!unsuppressed.empty() && unsuppressed != "true" && unsuppressed != "false") {
      return Problem(response, 400, "Bad statistics query", "unsuppressed must be true or false");
    }
    input.unsuppressed = unsuppressed == "true";
    careledger::v1::Command command;
    command.set_command_id(events::RandomUuid());
    command.mutable_actor()->set_purpose(purpose);
    absl::StatusOr<projections::StatisticsRequest> asked =
        access::StatisticsRequestOf(input, "", command.mutable_audit_query());
    if (!asked.ok()) {
      return Problem(response, 400, "Bad statistics query", std::string(asked.status().message()));
    }
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;
    const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
    absl::StatusOr<access::StatisticsRead> read =
        access::ReadStatistics(*writer, command, *asked, *projection, deadline);
    if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) return;
    const bool suppress = !input.unsuppressed;
    nlohmann::json body = access::StatisticsJson(
        access::StatisticsRows(*read->figures, *asked, suppress), *asked, suppress);
    body["access"] = Receipt(read->recorded);
    Json(response, 200, JsonText(body));
  });
}

}  // namespace careledger::service
