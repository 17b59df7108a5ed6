// The patient's receipt over HTTPS: what `careledger audit proof` writes
// (docs/proof.md), for the CMC team.
//
//   GET /v1/audit/records/{partition}/{offset}/proof?purpose=
//
// The proof is built from the whole log, verified (access::ProveRecord), and
// only then is the request recorded as an examination of that record, in
// its patient's trail; only a granted query is shown the proof. A proof
// reads the whole log, so one is built at a time. Errors building it (no
// such record: 404; no checkpoint after it yet: 503, try later; a damaged
// log: 500 with the first bad position) append nothing.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "access/record_proof.h"
#include "events/ids.h"
#include "projections/plan_queries.h"
#include "service/internal/service_impl.h"

namespace careledger::service {

void Service::Impl::AddProofRoute() {
  server->Get(
      R"(/v1/audit/records/([0-9]{1,9})/([0-9]{1,18})/proof)",
      [this](const httplib::Request& request, httplib::Response& response) {
        careledger::v1::EventPosition position;
        position.set_partition(std::stoi(request.matches[1]));
        position.set_offset(std::stoll(request.matches[2]));
        const std::string purpose = request.get_param_value("purpose");
        if (purpose.empty()) {
          return Problem(response, 400, "Bad audit query",
                         "every read names its purpose of use: ?purpose=...");
        }
        careledger::v1::Command command;
        command.set_command_id(events::RandomUuid());
        command.mutable_actor()->set_purpose(purpose);
        // What Admit records for a refused caller: the query as far as it is
        // known before the record is read.
        command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_ACCESS);
        command.mutable_audit_query()->set_subject(
            fmt::format("{}/{}", position.partition(), position.offset()));
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        std::lock_guard one_at_a_time(proof_mutex_);
        absl::StatusOr<std::vector<std::int64_t>> ends =
            projections::PlanQueries(&projection->store()).Offsets();
        absl::StatusOr<access::LogLookup> lookup =
            ends.ok() ? access::LogLookup::Open(log.get(), *ends)
                      : absl::StatusOr<access::LogLookup>(ends.status());
        if (!lookup.ok()) {
          return Problem(response, HttpStatusOf(lookup.status()), "Audit query not completed",
                         std::string(lookup.status().message()));
        }
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<access::RecordProof> proven = access::ProveRecord(
            *writer, command, *log, *lookup, *keyring, position, *projection, deadline);
        if (AuditAnswered(response, proven.status(), proven.ok() ? &proven->recorded : nullptr)) {
          return;
        }
        nlohmann::json body;
        body["proof"] = std::move(proven->proof);
        nlohmann::json receipt = Position(proven->recorded);
        receipt["record"] = absl::Base64Escape(proven->recorded.record());
        body["access"] = std::move(receipt);
        Json(response, 200, JsonText(body));
      });
}

}  // namespace careledger::service
