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
#include <nlohmann/json.hpp>

#include "access/record_proof.h"
#include "service/internal/service_impl.h"

namespace careledger::service {

void Service::Impl::AddProofRoute() {
  server->Get(
      R"(/v1/audit/records/([0-9]{1,9})/([0-9]{1,18})/proof)",
      [this](const httplib::Request& request, httplib::Response& response) {
        careledger::v1::EventPosition position;
        careledger::v1::Command command;
        if (!AdmitRecordQuery(request, response, &position, &command)) return;
        std::lock_guard one_at_a_time(proof_mutex_);
        absl::StatusOr<access::LogLookup> lookup = ParkedLookup();
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
        body["access"] = Receipt(proven->recorded);
        Json(response, 200, JsonText(body));
      });
}

}  // namespace careledger::service
