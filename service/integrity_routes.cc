// The log's integrity for the CMC team (the auditors' web page's integrity
// panel, issue 12 item 9): what `careledger verify --kept` says, over HTTPS.
//
//   POST /v1/audit/integrity?purpose=   body: "" or kept checkpoints, the
//        JSON `careledger --json checkpoint` printed (tools/kept_checkpoints.h)
//   GET  /v1/audit/integrity?purpose=   the same with none kept
//
// An AuditQuery (scope INTEGRITY) decided and recorded by the ledger before
// anything is shown; kept checkpoints that do not parse are 400 and nothing
// is recorded. Then the whole log is verified (tools::VerifyLog: envelope,
// signature, chain, sequence, checkpoints) with the kept checkpoints as
// witnesses: each is confirmed, or refuted as rewritten or cut. A check
// reads the whole log, so one runs at a time.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "access/audit_read.h"
#include "events/ids.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "service/internal/service_impl.h"
#include "tools/kept_checkpoints.h"
#include "tools/log_verification.h"

namespace careledger::service {
namespace {

constexpr char kPasted[] = "the kept checkpoint";

}  // namespace

void Service::Impl::AddIntegrityRoutes() {
  auto check = [this](const httplib::Request& request, httplib::Response& response) {
    const std::string purpose = request.get_param_value("purpose");
    if (purpose.empty()) {
      return Problem(response, 400, "Bad audit query",
                     "every read names its purpose of use: ?purpose=...");
    }
    std::vector<tools::KeptCheckpoint> kept;
    if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
      absl::StatusOr<std::vector<tools::KeptCheckpoint>> parsed =
          tools::ParseKeptCheckpoints(request.body, kPasted);
      if (!parsed.ok()) {
        return Problem(response, 400, "Bad kept checkpoint",
                       std::string(parsed.status().message()));
      }
      kept = *std::move(parsed);
    }
    careledger::v1::Command command;
    command.set_command_id(events::RandomUuid());
    command.mutable_actor()->set_purpose(purpose);
    command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_INTEGRITY);
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;
    const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
    absl::StatusOr<careledger::v1::CommandResult> recorded =
        access::RecordAuditQuery(*writer, command, *projection, deadline);
    if (AuditAnswered(response, recorded.status(), recorded.ok() ? &*recorded : nullptr)) return;

    std::lock_guard one_at_a_time(proof_mutex_);
    absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = log->OpenReader();
    if (!reader.ok()) {
      return Problem(response, HttpStatusOf(reader.status()), "Integrity not checked",
                     std::string(reader.status().message()));
    }
    const std::int32_t partitions = (*reader)->partition_count();
    std::vector<std::int64_t> last_checkpoint(partitions, -1);
    std::vector<std::string> last_checkpoint_at(partitions);
    const std::vector<tools::KeptCheckpoint> asked = kept;
    absl::StatusOr<tools::LogVerification> verified = tools::VerifyLog(
        **reader, *keyring, /*threads=*/2, std::move(kept),
        [&](std::int32_t partition, const events::VerifiedRecord& record) {
          if (!record.opened.event.has_checkpoint()) return;
          last_checkpoint[partition] = record.offset;
          last_checkpoint_at[partition] = absl::FormatTime(
              absl::RFC3339_sec, events::FromTimestamp(record.opened.event.recorded_at()),
              absl::UTCTimeZone());
        });
    if (!verified.ok()) {
      return Problem(response, HttpStatusOf(verified.status()), "Integrity not checked",
                     std::string(verified.status().message()));
    }
    const ledger::ScanReport& scan = verified->scan;
    nlohmann::json body;
    body["ok"] = verified->intact();
    body["log_id"] = scan.log_id;
    body["records"] = scan.records;
    body["checkpoints"] = scan.checkpoints;
    nlohmann::json by_partition = nlohmann::json::array();
    for (std::size_t p = 0; p < scan.digests.size(); ++p) {
      by_partition.push_back({{"partition", p},
                              {"records", scan.digests[p].record_count},
                              {"last_offset", scan.digests[p].last_offset},
                              {"running_hash", events::HashHex(scan.digests[p].running)},
                              {"last_checkpoint_offset", last_checkpoint[p]},
                              {"last_checkpoint_at", last_checkpoint_at[p]}});
    }
    body["partitions"] = std::move(by_partition);
    nlohmann::json stops = nlohmann::json::array();
    for (const events::VerificationStop& stop : scan.stops) {
      stops.push_back({{"partition", stop.partition},
                       {"offset", stop.offset},
                       {"reason", std::string(stop.reason.message())}});
    }
    body["failures"] = std::move(stops);
    nlohmann::json checked = nlohmann::json::array();
    for (const tools::KeptCheckpoint& witness : asked) {
      bool confirmed = false;
      for (const ledger::Witness& agreed : verified->confirmed) {
        confirmed = confirmed || (agreed.partition == witness.partition &&
                                  agreed.digest.last_offset == witness.digest.last_offset &&
                                  agreed.digest.running == witness.digest.running);
      }
      checked.push_back({{"partition", witness.partition},
                         {"last_offset", witness.digest.last_offset},
                         {"confirmed", confirmed}});
    }
    body["kept"] = std::move(checked);
    body["kept_failures"] = verified->kept_failures;
    body["access"] = Receipt(*recorded);
    Json(response, 200, JsonText(body));
  };
  server->Get("/v1/audit/integrity", check);
  server->Post("/v1/audit/integrity", check);
}

}  // namespace careledger::service
