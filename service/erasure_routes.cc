// POST /v1/patients/{nhs}/erase with {"reason": "...", "retention_years": N,
// "retention_override": "..."}: erasure by crypto-shredding
// (docs/governance.md, "Erasure"), what `careledger erase` does, for the
// CMC team, while the service runs.
//
// access::ErasePatient records the signed PatientErased (the ledger decides:
// the CMC team only, the retention rule), and only then destroys the
// patient's data key. The service then replaces its writer snapshots with one
// taken now (the writer's state already holds the plan erased) and waits for
// its projection to apply the erasure, which purges the content from the
// projection's files (projections/erasure_purge.h).
//
// 200: erased (the position of the PatientErased; projection_purged false
// when the projection had not reached it by the deadline: it purges when it
// does). 400: a bad body or NHS number, nothing recorded. 409: this ledger
// has no data key store (nothing is sealed, nothing can be shredded). 422:
// refused by the ledger, the refusal recorded (DENIED). 503: the log could
// not take the record, or the key could not be destroyed after it was
// recorded (asking again finishes the erasure). Idempotency-Key as for POST
// /v1/commands.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "access/audit_read.h"
#include "access/erasure.h"
#include "events/ids.h"
#include "ledger/erasure_rules.h"
#include "ledger/nhs_number.h"
#include "service/internal/service_impl.h"

namespace careledger::service {
namespace {

// The erasure's body: {"reason", "retention_years", "retention_override"},
// nothing else; reason required.
absl::Status ParseErasure(const std::string& text, careledger::v1::ErasePatient* erase) {
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return absl::InvalidArgumentError("the body is not a JSON object");
  erase->set_retention_years(ledger::kDefaultRetentionYears);
  for (const auto& [key, value] : body.items()) {
    if (key == "reason" && value.is_string()) {
      erase->set_reason(value.get<std::string>());
    } else if (key == "retention_override" && value.is_string()) {
      erase->set_retention_override(value.get<std::string>());
    } else if (key == "retention_years" && value.is_number_unsigned() &&
               value.get<std::uint64_t>() >= 1 && value.get<std::uint64_t>() <= 100) {
      erase->set_retention_years(static_cast<std::uint32_t>(value.get<std::uint64_t>()));
    } else {
      return absl::InvalidArgumentError(
          fmt::format("unknown or mistyped field '{}' (reason: string, retention_years: 1 to "
                      "100, retention_override: string)",
                      key));
    }
  }
  if (erase->reason().empty()) return absl::InvalidArgumentError("reason is required");
  return absl::OkStatus();
}

}  // namespace

void Service::Impl::AddErasureRoutes() {
  server->Post(R"(/v1/patients/([^/]+)/erase)", [this](const httplib::Request& request,
                                                       httplib::Response& response) {
    careledger::v1::Command command;
    careledger::v1::ErasePatient* erase = command.mutable_erase_patient();
    erase->set_nhs_number(std::string(request.matches[1]));
    if (absl::Status valid = ledger::ValidateNhsNumber(erase->nhs_number()); !valid.ok()) {
      return Problem(response, 400, "Invalid NHS number", std::string(valid.message()));
    }
    if (absl::Status parsed = ParseErasure(request.body, erase); !parsed.ok()) {
      return Problem(response, 400, "Bad erasure", std::string(parsed.message()));
    }
    if (!data_keys) {
      return Problem(response, 409, "Nothing to erase",
                     "this ledger has no data key store: its plan events are not sealed, "
                     "so none can be shredded (docs/governance.md, \"Erasure\")");
    }
    command.set_command_id(events::RandomUuid());
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;
    if (!UseIdempotencyKey(request, response, caller, &command)) return;
    absl::StatusOr<access::ErasureOutcome> erased =
        access::ErasePatient(*writer, *data_keys, command);
    if (!erased.ok()) {
      if (absl::IsAborted(erased.status())) fenced = true;
      metrics.CountWriterOutcome("failed");
      return Problem(response, HttpStatusOf(erased.status()), "Erasure not completed",
                     std::string(erased.status().message()));
    }
    const careledger::v1::CommandResult& result = erased->result;
    if (!erased->erased()) {
      metrics.CountWriterOutcome("rejected");
      return ProblemAt(response, 422, "Erasure refused", result.error(), result);
    }
    metrics.CountWriterOutcome("applied");
    // The writer's state holds the plan erased: a snapshot taken now
    // replaces those that hold it folded whole.
    absl::StatusOr<ledger::SnapshotTaken> taken = writer->Snapshot();
    absl::StatusOr<int> deleted =
        access::ReplaceWriterSnapshots(snapshot_dir, taken.ok() ? taken->path : "");
    if (!deleted.ok()) {
      return Problem(response, 500, "Erasure not completed",
                     fmt::format("the data key is destroyed, but {}",
                                 std::string(deleted.status().message())));
    }
    const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
    const bool purged = access::WaitForRecord(*projection, result, deadline).ok();
    nlohmann::json body = Position(result);
    body["erased"] = erase->nhs_number();
    body["data_key_destroyed"] = true;
    body["completed_earlier_erasure"] = erased->completed_earlier_erasure;
    body["writer_snapshots_deleted"] = *deleted;
    body["projection_purged"] = purged;
    Json(response, 200, JsonText(body));
  });
}

}  // namespace careledger::service
