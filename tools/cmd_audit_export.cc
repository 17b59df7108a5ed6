// careledger audit export: a whole trail (a patient's, a user's or an
// organisation's, over a time range) in the formats auditors' tools read:
// FHIR R4 AuditEvents in a Bundle (IHE BALP) or CSV (audit_export.h).
//
// Like every audit command it first records the auditor's AuditQuery
// through the writer (for_export: action "audit_export_patient", ...), and
// only then reads the audit projection, brought up to that record, so the
// export holds its own record when the range covers it. Pages through the
// trail oldest first and writes each entry as it is read: any length, in
// constant memory. With --out the file is written through a SafeFileWriter
// (tools/safe_file.h: mode 0600, since it names patients; moved into place
// when complete; never through a link or over a file unless --force).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>

#include "access/audit_read.h"
#include "tools/audit_command.h"
#include "tools/audit_export.h"
#include "tools/audit_view.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

using careledger::v1::AuditEntry;
using careledger::v1::AuditScope;
using careledger::v1::CommandResult;

struct ExportFlags {
  ActorFlags actor;
  std::string format;
  std::string out;     // "" or "-": stdout
  bool force = false;  // replace an existing --out file
  std::string nhs;
  std::string user;
  std::string org;
  std::string from;
  std::string to;
  std::string server_address = LocalHostName();
};

int RunExport(const ExportFlags& flags, const Context& context) {
  AuditScope scope = careledger::v1::AUDIT_SCOPE_UNSPECIFIED;
  std::string subject;
  int named = 0;
  struct Named {
    const std::string* value;
    AuditScope scope;
  };
  for (const Named& name : {Named{&flags.nhs, careledger::v1::AUDIT_SCOPE_PATIENT},
                            Named{&flags.user, careledger::v1::AUDIT_SCOPE_USER},
                            Named{&flags.org, careledger::v1::AUDIT_SCOPE_ORGANISATION}}) {
    if (name.value->empty()) continue;
    ++named;
    scope = name.scope;
    subject = *name.value;
  }
  if (named != 1) {
    return ReportError(absl::InvalidArgumentError(
                           "name one trail to export: --nhs (a patient's), --user (a user's) or "
                           "--org (an organisation's)"),
                       context.json());
  }
  const bool fhir = flags.format == "fhir";

  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::AuditQuery* query = command.mutable_audit_query();
  query->set_scope(scope);
  query->set_subject(subject);
  query->set_for_export(true);
  absl::StatusOr<access::AuditRange> range =
      access::ParseAuditRange(flags.from, flags.to, "--", query);
  if (!range.ok()) return ReportError(range.status(), context.json());

  // The file first: a path that cannot be written records nothing.
  const bool to_file = !flags.out.empty() && flags.out != "-";
  std::unique_ptr<SafeFileWriter> file;
  if (to_file) {
    absl::StatusOr<std::unique_ptr<SafeFileWriter>> created =
        SafeFileWriter::Create(flags.out, flags.force);
    if (!created.ok()) return ReportError(created.status(), context.json());
    file = *std::move(created);
  }

  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  std::ostream& out = to_file ? file->stream() : std::cout;
  FhirExportOptions options;
  options.ledger = context.options().topic;
  options.server_address = flags.server_address;
  std::optional<FhirBundleWriter> bundle;
  bool begun = false;
  // The header once the export is granted: a refused export writes nothing.
  auto begin = [&] {
    if (begun) return;
    begun = true;
    if (fhir) {
      bundle.emplace(&out, options);
    } else {
      out << CsvHeader();
    }
  };
  absl::StatusOr<access::AuditExport> exported =
      access::ExportAuditTrail(session->writer(), command, *range, *session->feed,
                               session->deadline(), [&](const AuditEntry& entry) {
                                 begin();
                                 if (fhir) {
                                   bundle->Add(entry);
                                 } else {
                                   out << CsvRow(entry);
                                 }
                               });
  if (!exported.ok()) return ReportError(exported.status(), context.json());
  if (!exported->granted) return session->Refused(exported->recorded);
  const CommandResult* recorded = &exported->recorded;
  begin();
  if (fhir) bundle->Finish();
  out.flush();
  if (to_file) {
    if (absl::Status committed = file->Commit(); !committed.ok()) {
      return ReportError(committed, context.json());
    }
  } else if (!out) {
    return ReportError(absl::UnavailableError("cannot write the export to stdout"), context.json());
  }

  // The summary: on stdout after a file, on stderr when stdout is the export.
  std::ostream& summary = to_file ? std::cout : std::cerr;
  const std::string format_name = fhir ? "FHIR R4 AuditEvents (Bundle)" : "CSV";
  if (context.json()) {
    summary << nlohmann::json{{"exported", exported->exported},
                              {"format", flags.format},
                              {"out", to_file ? flags.out : std::string("-")},
                              {"recorded", MessageJson(*recorded)}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
    return kExitOk;
  }
  summary << fmt::format(
      "exported {} entr{} of the {} trail of {}, {}, as {} to {} (this export is recorded: {} "
      "seq {}, partition {} offset {})\n",
      exported->exported, exported->exported == 1 ? "y" : "ies", access::ScopeName(scope), subject,
      RangeText(query->has_range_from() ? &query->range_from() : nullptr,
                query->has_range_to() ? &query->range_to() : nullptr),
      format_name, to_file ? flags.out : std::string("stdout"), recorded->stream_id(),
      recorded->stream_seq(), recorded->partition(), recorded->offset());
  return kExitOk;
}

}  // namespace

void RegisterAuditExport(CLI::App* audit, Runner* run) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* sub = audit->add_subcommand(
      "export",
      "Export a patient's, a user's or an organisation's whole trail for auditors' tools: FHIR R4 "
      "AuditEvent resources in a Bundle (IHE Basic Audit Log Patterns) or CSV. The export is "
      "recorded first, like every audit query");
  flags->actor.role = "auditor";
  flags->actor.Register(sub);
  sub->add_option("--format", flags->format, "fhir (a FHIR R4 Bundle of AuditEvents) or csv")
      ->required()
      ->check(CLI::IsMember({"fhir", "csv"}));
  sub->add_option("--out", flags->out,
                  "Write to this file (created 0600, complete or not at all); default stdout");
  sub->add_flag("--force", flags->force, "Replace the --out file if it exists");
  CLI::Option* nhs =
      TakesNhsNumber(sub->add_option("--nhs", flags->nhs, "A patient's trail: their NHS number"));
  CLI::Option* user = sub->add_option("--user", flags->user, "A user's trail: the user id");
  CLI::Option* ods = sub->add_option("--org", flags->org, "An organisation's trail: its ODS code");
  nhs->excludes(user)->excludes(ods);
  user->excludes(ods);
  sub->add_option("--from", flags->from,
                  "From this time (YYYY-MM-DD, UTC, or ISO 8601, e.g. 2026-06-15T09:30:00Z)");
  sub->add_option("--to", flags->to,
                  "Until this time, exclusive (a day YYYY-MM-DD: up to the end of that day)");
  sub->add_option("--server-address", flags->server_address,
                  "FHIR: the careledger server's network address (host name or IP address) for "
                  "IHE BALP's server agent; \"\" for none")
      ->capture_default_str();
  sub->callback([run, flags] {
    *run = [flags](const Context& context) { return RunExport(*flags, context); };
  });
}

}  // namespace careledger::tools
