// Who may call, for every route that acts: Admit (credentials to caller, a
// refused caller recorded before the answer) and RecordRefusal.
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "service/command_request.h"
#include "service/internal/service_impl.h"

namespace careledger::service {

nlohmann::json Position(const careledger::v1::CommandResult& access) {
  return {{"partition", access.partition()},
          {"offset", access.offset()},
          {"stream_id", access.stream_id()},
          {"stream_seq", access.stream_seq()},
          {"command_id", access.command_id()}};
}

nlohmann::json Receipt(const careledger::v1::CommandResult& recorded) {
  nlohmann::json receipt = Position(recorded);
  if (!recorded.record().empty()) receipt["record"] = absl::Base64Escape(recorded.record());
  return receipt;
}

void Service::Impl::RecordRefusal(httplib::Response& response, careledger::v1::Command command,
                                  const careledger::v1::Actor& actor, const std::string& title,
                                  const std::string& reason) {
  const std::string purpose = command.actor().purpose();
  *command.mutable_actor() = actor;
  command.mutable_actor()->set_purpose(purpose);
  // The ledger refuses it with this reason, so the record says what the
  // caller is answered.
  command.set_refused_credentials(reason);
  absl::StatusOr<careledger::v1::CommandResult> recorded = recorder->Submit(command);
  if (!recorded.ok() || recorded->outcome() != careledger::v1::OUTCOME_REJECTED) {
    if (!recorded.ok() && absl::IsAborted(recorded.status())) fenced = true;
    return Problem(response, 503, "Refusal not recorded",
                   "the caller is refused, and the refusal could not be recorded");
  }
  ProblemAt(response, 403, title, reason, *recorded);
}

bool Service::Impl::Admit(const httplib::Request& request, httplib::Response& response,
                          careledger::v1::Command* command, auth::Caller* caller) {
  RefusedCaller refused;
  absl::StatusOr<auth::Caller> authenticated =
      authenticator->Authenticate(CredentialsOf(request), &refused);
  if (absl::IsUnauthenticated(authenticated.status())) {
    // No verified token: nobody to name, nothing recorded.
    response.set_header("WWW-Authenticate", R"(Bearer realm="careledger")");
    Problem(response, 401, "Not authenticated", std::string(authenticated.status().message()));
    return false;
  }
  if (absl::IsPermissionDenied(authenticated.status())) {
    // A verified token whose caller may not act: the refusal goes on the
    // log before the answer, naming who the credentials say.
    RecordRefusal(response, *command, refused.actor, "Caller refused", refused.reason);
    return false;
  }
  if (!authenticated.ok()) {
    Problem(response, HttpStatusOf(authenticated.status()), "Caller not resolved",
            std::string(authenticated.status().message()));
    return false;
  }
  const std::string purpose = command->actor().purpose();
  *command->mutable_actor() = authenticated->actor;
  command->mutable_actor()->set_purpose(purpose);
  *caller = *std::move(authenticated);
  return true;
}

bool Service::Impl::UseIdempotencyKey(const httplib::Request& request, httplib::Response& response,
                                      const auth::Caller& caller,
                                      careledger::v1::Command* command) {
  const std::string key = request.get_header_value("Idempotency-Key");
  if (key.empty()) return true;
  absl::StatusOr<std::string> scoped = ScopedCommandId(caller.actor.user_id(), key);
  if (!scoped.ok()) {
    Problem(response, 400, "Idempotency key too long", std::string(scoped.status().message()));
    return false;
  }
  command->set_command_id(*std::move(scoped));
  return true;
}

}  // namespace careledger::service
