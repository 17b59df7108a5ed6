// The UCP migration's report over HTTPS: what `careledger migrate export`
// would leave behind, and the counts per organisation the migration notice
// asks organisations to act on, through the same library
// (tools/migrate_export.h). An AuditQuery of scope MIGRATION, decided and
// recorded by the ledger before anything is shown ("audit_migration_report";
// only the CMC team; this file adds no role logic); a refused one answers
// 403 after its DENIED record is durable. Bad parameters answer 400 and
// append nothing. The export itself, which writes files, is the command
// line's (docs/migration.md).
//
//   GET /v1/migration/report?purpose=
#include <nlohmann/json.hpp>

#include "events/ids.h"
#include "service/internal/service_impl.h"
#include "tools/backup_copy.h"
#include "tools/migrate_export.h"
#include "tools/migrate_report.h"

namespace careledger::service {

void Service::Impl::AddMigrationRoutes() {
  server->Get(
      "/v1/migration/report", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string purpose = request.get_param_value("purpose");
        if (purpose.empty()) {
          return Problem(response, 400, "Bad migration report query",
                         "every read names its purpose of use: ?purpose=...");
        }
        careledger::v1::Command command;
        command.set_command_id(events::RandomUuid());
        command.mutable_actor()->set_purpose(purpose);
        command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_MIGRATION);
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<tools::MigrationReport> read =
            tools::ReadMigrationReport(*writer, command, *projection, deadline);
        if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) return;
        nlohmann::json body = tools::MigrationReportJson(
            tools::Rfc3339UtcNow(), read->plans_migrating, read->left_behind, read->counts);
        body.erase("plans_exported");
        body["plans_migrating"] = read->plans_migrating;
        body["access"] = Receipt(read->recorded);
        Json(response, 200, JsonText(body));
      });
}

}  // namespace careledger::service
