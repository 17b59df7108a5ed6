// POST /v1/commands: a careledger.v1.Command (protobuf JSON, strict: unknown
// fields, non-boolean booleans and unnamed enum values refused) submitted
// through the writer as the authenticated caller.
//
// - The actor is the caller's. A body naming any other user, role,
//   organisation, device or address is refused (403) and the refusal
//   recorded; the body may give the purpose.
// - Idempotency-Key: the command id, scoped to the caller ("<user>:<key>"),
//   so a retry is answered with the first outcome and applied once. Without
//   it, the body's command_id (scoped the same way) or a new one.
// - If-Match: the expected plan version (as expected_version).
// - Reads are not commands here: a view_plan body is refused (400); reads go
//   through GET /v1/patients/{nhs}/plan, which shows what was recorded.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "events/ids.h"
#include "service/command_request.h"
#include "service/internal/service_impl.h"
#include "tools/output.h"

namespace careledger::service {
namespace {

// The actor fields a body may not set to anything but the caller's own.
std::string OtherActorField(const careledger::v1::Actor& body, const careledger::v1::Actor& own) {
  if (!body.user_id().empty() && body.user_id() != own.user_id()) return "user_id";
  if (body.role() != careledger::v1::ROLE_UNSPECIFIED && body.role() != own.role()) return "role";
  if (!body.organisation().empty() && body.organisation() != own.organisation()) {
    return "organisation";
  }
  if (!body.device_id().empty() && body.device_id() != own.device_id()) return "device_id";
  if (!body.network_address().empty() && body.network_address() != own.network_address()) {
    return "network_address";
  }
  return "";
}

}  // namespace

void Service::Impl::AddCommandRoutes() {
  server->Post(
      "/v1/commands", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string if_match = request.get_header_value("If-Match");
        const std::string key = request.get_header_value("Idempotency-Key");
        CommandDecoding decoding = DecodeCommandRequest(
            {.content_type = request.get_header_value("Content-Type"),
             .body = request.body,
             .if_match = request.has_header("If-Match") ? std::optional<std::string_view>(if_match)
                                                        : std::nullopt,
             .idempotency_key = key});
        if (!decoding.decoded) {
          return Problem(response, decoding.status, decoding.title, decoding.detail);
        }
        careledger::v1::Command& command = decoding.decoded->command;
        const std::string& asked_id = decoding.decoded->asked_id;
        const careledger::v1::Actor& named = decoding.decoded->named;
        command.set_command_id(events::RandomUuid());  // until the caller is known
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        if (!asked_id.empty()) {
          absl::StatusOr<std::string> scoped = ScopedCommandId(caller.actor.user_id(), asked_id);
          if (!scoped.ok()) {
            return Problem(response, 400, "Idempotency key too long",
                           std::string(scoped.status().message()));
          }
          command.set_command_id(*std::move(scoped));
        }
        if (const std::string field = OtherActorField(named, command.actor()); !field.empty()) {
          return RecordRefusal(
              response, command, command.actor(), "Actor mismatch",
              fmt::format("the body names another {} than the credentials; the actor is always "
                          "the authenticated caller",
                          field));
        }
        absl::StatusOr<careledger::v1::CommandResult> result = writer->Submit(command);
        if (!result.ok()) {
          if (absl::IsAborted(result.status())) fenced = true;
          metrics.CountWriterOutcome("failed");
          return Problem(response, HttpStatusOf(result.status()), "Command not recorded",
                         std::string(result.status().message()));
        }
        if (result->outcome() == careledger::v1::OUTCOME_REJECTED) {
          metrics.CountWriterOutcome("rejected");
          return ProblemAt(response, 422, "Command rejected", result->error(), *result);
        }
        metrics.CountWriterOutcome("applied");
        nlohmann::json body = Position(*result);
        body["outcome"] = careledger::v1::Outcome_Name(result->outcome());
        Json(response, 200, JsonText(body));
      });
}

}  // namespace careledger::service
