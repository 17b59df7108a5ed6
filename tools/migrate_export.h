// The UCP migration export (`careledger migrate export`; docs/migration.md):
// every plan that may migrate (migrate_select.h) as one FHIR R4 Bundle per
// patient (migrate_fhir.h), a report of what was left behind and why, with
// the per-organisation counts the migration notice asks organisations to
// act on, and a manifest signed by the ledger key (migrate_manifest.h).
//
// An audited query like the other audit queries (access/audit_read.h): the
// AuditQuery of scope MIGRATION goes through the writer, which decides it
// (only the CMC team) and makes its record durable ("audit_migration_export",
// subject "audit/migration"; or the DENIED refusal) before anything is
// read; only after a grant is the projection, brought up to that record,
// read and the export written.
//
// The export directory:
//   bundles/<NHS number>.json   one Bundle per patient whose plan migrates
//   report.csv                  nhs_number,reason,organisations,detail: what
//                               was left behind (RFC 4180, CRLF)
//   organisations.csv           ods_code and the counts per organisation
//   report.json                 both, as JSON (one line, controls escaped)
//   manifest.json, manifest.sig written last: their presence marks a
//                               complete export (as backup.json does a backup)
// Directories 0700, files 0600 (they name patients). Nothing outside `out`
// is created, nothing existing is written over.
#ifndef CARELEDGER_TOOLS_MIGRATE_EXPORT_H_
#define CARELEDGER_TOOLS_MIGRATE_EXPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/plan_read.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/key_store.h"
#include "ledger/writer.h"
#include "tools/migrate_select.h"

namespace careledger::tools {

struct MigrationExportOptions {
  std::string out;     // the directory to create
  std::string ledger;  // this ledger's name (the topic), in the Bundles' UUIDs
  std::string log;     // the log, as the manifest names it
};

struct MigrationExport {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  bool granted = false;
  std::uint64_t plans_exported = 0;
  std::vector<LeftBehind> left_behind;
  std::map<std::string, OrganisationCounts> counts;  // by ODS code ("" unknown)
};

// INVALID_ARGUMENT unless `out` does not exist and its parent is an existing
// directory: checked before the query is recorded, so bad input appends
// nothing.
absl::Status CheckExportTarget(const std::string& out);

// A command holding an audit_query of scope MIGRATION (no subject).
careledger::v1::Command MigrationQuery(careledger::v1::Command command);

// Records `command` (MigrationQuery) and, once granted, writes the export
// into the new directory options.out, its manifest signed by `key`.
// Errors: RecordAuditQuery's; CheckExportTarget's; UNAVAILABLE when the
// projection moved while it was read (another process projecting: export
// from a replay, `project --until --into`, instead); the store's; I/O
// errors naming the path (a partial export then has no manifest).
absl::StatusOr<MigrationExport> ExportMigration(ledger::Writer& writer,
                                                const careledger::v1::Command& command,
                                                access::ProjectionFeed& feed, absl::Time deadline,
                                                const ledger::ActiveKey& key,
                                                const MigrationExportOptions& options);

// What the export would leave behind, without exporting anything (GET
// /v1/migration/report): `command` holds an audit_query of scope MIGRATION
// without for_export ("audit_migration_report"), recorded first like the
// export. Errors: RecordAuditQuery's, the store's.
struct MigrationReport {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  bool granted = false;
  std::uint64_t plans_migrating = 0;
  std::vector<LeftBehind> left_behind;
  std::map<std::string, OrganisationCounts> counts;
};
absl::StatusOr<MigrationReport> ReadMigrationReport(ledger::Writer& writer,
                                                    const careledger::v1::Command& command,
                                                    access::ProjectionFeed& feed,
                                                    absl::Time deadline);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_MIGRATE_EXPORT_H_
