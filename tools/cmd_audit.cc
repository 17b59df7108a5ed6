// careledger audit: the CMC team's investigations (issue "Audit").
//
//   audit patient --nhs N     a patient's every access and change ("who has looked at my plan?")
//   audit user --id U         everything a user did, and every patient they touched
//   audit org --ods O         everything an organisation's users did
//   audit access --partition P --offset O
//                             one record, and the exact plan content that
//                             person was shown, rebuilt from the signed log
//   audit export --format fhir|csv (--nhs N | --id U | --ods O)
//                             a whole trail as FHIR AuditEvents or CSV
//                             (cmd_audit_export.cc, audit_export.h)
//   audit alerts | review     the investigation rules' alerts, and an auditor's
//                             signed review of one (cmd_audit_alerts.cc)
//
// Auditors are audited: each query is first decided and recorded by the
// ledger (an AuditQuery: only the CMC team; an AccessRecorded "audit_..."
// naming the subject, the time range and, for a patient, their NHS number),
// and only then answered from the audit projection, brought up to date.
// A refused query exits 3 and shows nothing.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "access/audit_read.h"
#include "access/audit_record.h"
#include "access/log_lookup.h"
#include "access/shown_content.h"
#include "events/envelope.h"
#include "events/format.h"
#include "events/plan_fold.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "projections/audit_queries.h"
#include "projections/plan_queries.h"
#include "tools/audit_command.h"
#include "tools/audit_view.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"
#include "tools/plan_view.h"

namespace careledger::tools {
namespace {

using careledger::v1::AuditEntry;
using careledger::v1::AuditScope;
using careledger::v1::CommandResult;

struct AuditFlags {
  ActorFlags actor;
  std::string subject;  // --nhs, --id or --ods
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string from;
  std::string to;
  std::size_t limit = 50;
  std::string page;
  bool newest_first = false;
  std::string projection;  // --projection DIR: a replay
};

int RunList(AuditScope scope, const AuditFlags& flags, const Context& context) {
  projections::AuditPageRequest request;
  request.limit = flags.limit;
  request.page_token = flags.page;
  request.newest_first = flags.newest_first;
  careledger::v1::Command command = flags.actor.NewCommand();
  careledger::v1::AuditQuery* query = command.mutable_audit_query();
  query->set_scope(scope);
  query->set_subject(flags.subject);
  absl::StatusOr<access::AuditRange> range =
      access::ParseAuditRange(flags.from, flags.to, "--", query);
  if (!range.ok()) return ReportError(range.status(), context.json());
  request.from = range->from;
  request.to = range->to;
  if (absl::Status valid = access::ValidateAuditPage(request, "--"); !valid.ok()) {
    return ReportError(valid, context.json());
  }

  absl::StatusOr<AuditSession> session = AuditSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<access::AuditTrailRead> read = access::ReadAuditTrail(
      session->writer(), command, request, *session->feed, session->deadline());
  if (!read.ok()) return ReportError(read.status(), context.json());
  if (!read->granted()) return session->Refused(read->recorded);
  const CommandResult* recorded = &read->recorded;
  const projections::AuditPage* page = &*read->page;

  if (context.json()) {
    for (const AuditEntry& entry : page->entries) std::cout << ToJsonLine(entry) << "\n";
    PrintJson({{"next_page_token", page->next_page_token},
               {"entries", page->entries.size()},
               {"recorded", MessageJson(*recorded)}});
    return kExitOk;
  }
  std::cout << fmt::format(
      "audit of {} {}, {}: {} entr{}, {} first (this query is recorded: {} seq {}, partition {} "
      "offset {})\n",
      access::ScopeName(scope), flags.subject,
      RangeText(query->has_range_from() ? &query->range_from() : nullptr,
                query->has_range_to() ? &query->range_to() : nullptr),
      page->entries.size(), page->entries.size() == 1 ? "y" : "ies",
      flags.newest_first ? "newest" : "oldest", recorded->stream_id(), recorded->stream_seq(),
      recorded->partition(), recorded->offset());
  for (const AuditEntry& entry : page->entries) PrintEntry(entry, std::cout);
  if (!page->next_page_token.empty()) {
    std::cout << fmt::format("more: --page {}\n", page->next_page_token);
  }
  return kExitOk;
}

int RunAccess(const AuditFlags& flags, const Context& context) {
  absl::StatusOr<RecordSession> opened =
      RecordSession::Open(flags.partition, flags.offset, context);
  if (!opened.ok()) return ReportError(opened.status(), context.json());
  const ledger::KeyStore* keys = &opened->keys;
  AuditSession* session = &opened->session;

  // Find the record and its entry (nothing is shown before the query is recorded).
  if (absl::Status advanced = session->feed->Advance(session->deadline()); !advanced.ok()) {
    return ReportError(advanced, context.json());
  }
  const projections::ProjectionStore& store = session->feed->store();
  absl::StatusOr<std::vector<std::int64_t>> ends = projections::PlanQueries(&store).Offsets();
  if (!ends.ok()) return ReportError(ends.status(), context.json());
  absl::StatusOr<access::LogLookup> lookup =
      access::LogLookup::Open(session->submitter->log(), *ends);
  if (!lookup.ok()) return ReportError(lookup.status(), context.json());
  absl::StatusOr<std::shared_ptr<ledger::DataKeyStore>> data_keys = context.DataKeysForReading();
  if (!data_keys.ok()) return ReportError(data_keys.status(), context.json());
  lookup->set_data_keys(data_keys->get());
  careledger::v1::EventPosition asked;
  asked.set_partition(flags.partition);
  asked.set_offset(flags.offset);
  absl::StatusOr<access::AuditRecordRead> read =
      access::ReadAuditRecord(session->writer(), flags.actor.NewCommand(), asked, *session->feed,
                              *lookup, keys->keyring(), session->deadline());
  if (!read.ok()) return ReportError(read.status(), context.json());
  if (!read->granted) return session->Refused(read->recorded);
  const CommandResult* recorded = &read->recorded;
  const AuditEntry* entry = &read->entry;
  const events::OpenedRecord* record = &read->record;
  const std::optional<access::Rebuilt>* rebuilt = &read->content;

  if (context.json()) {
    nlohmann::json document;
    document["entry"] = MessageJson(*entry);
    document["record"] = {{"partition", flags.partition},
                          {"offset", flags.offset},
                          {"stream_id", record->event.stream_id()},
                          {"stream_seq", record->event.stream_seq()},
                          {"key_id", record->signed_event.key_id()},
                          {"value_hash", events::HashHex(record->value_hash)},
                          {"signature", "verified"}};
    if (rebuilt->has_value()) {
      const access::Rebuilt& content = **rebuilt;
      nlohmann::json sources = nlohmann::json::array();
      for (const auto& position : content.records) sources.push_back(MessageJson(position));
      document["content"] = {{"what", content.what},
                             {"content_hash", Base64(events::HashBytes(content.hash))},
                             {"verified", content.checked},
                             {"erased", content.erased},
                             {"rebuilt_from", std::move(sources)},
                             {"plan", MessageJson(content.plan)}};
    }
    document["recorded"] = MessageJson(*recorded);
    PrintJson(document);
    return kExitOk;
  }
  std::cout << fmt::format(
      "audit of partition {} offset {} (this query is recorded: {} seq {}, partition {} offset "
      "{})\n",
      flags.partition, flags.offset, recorded->stream_id(), recorded->stream_seq(),
      recorded->partition(), recorded->offset());
  PrintEntry(*entry, std::cout);
  std::cout << fmt::format("  record: {} seq {}, signed with {}, value {}: signature verified\n",
                           record->event.stream_id(), record->event.stream_seq(),
                           record->signed_event.key_id(), events::HashHex(record->value_hash));
  if (!entry->actor().purpose().empty()) {
    std::cout << fmt::format("  purpose: {}\n", entry->actor().purpose());
  }
  if (!rebuilt->has_value()) {
    std::cout << "  no plan content was shown\n";
    return kExitOk;
  }
  const access::Rebuilt& content = **rebuilt;
  if (content.erased) {
    std::cout << fmt::format("  shown: {}\n", content.what);
    return kExitOk;
  }
  std::cout << fmt::format(
      "  shown: {} (content {}), rebuilt from {} signed record{} of patient/{} in the log: {}\n",
      content.what, events::HashHex(content.hash).substr(0, 12), content.records.size(),
      content.records.size() == 1 ? "" : "s", entry->nhs_number(),
      content.checked ? "verified, the hash is the one recorded"
                      : "no content hash recorded for this change");
  PrintCarePlan(content.plan, std::cout);
  return kExitOk;
}

// Adds the flags every audit subcommand shares.
void AddShared(CLI::App* sub, AuditFlags& flags, bool listing) {
  flags.actor.role = "auditor";
  flags.actor.Register(sub);
  AddProjectionFlag(sub, &flags.projection);
  if (!listing) return;
  sub->add_option("--from", flags.from,
                  "From this time (YYYY-MM-DD, UTC, or ISO 8601, e.g. 2026-06-15T09:30:00Z)");
  sub->add_option("--to", flags.to,
                  "Until this time, exclusive (a day YYYY-MM-DD: up to the end of that day)");
  sub->add_option("--limit", flags.limit, "Entries per page")->capture_default_str();
  sub->add_option("--page", flags.page, "Resume from a previous page's token");
  sub->add_flag("--newest-first", flags.newest_first, "Newest entries first");
}

void AddList(CLI::App* audit, Runner* run, const std::string& name, const std::string& subject,
             AuditScope scope, const std::string& help, const std::string& subject_help) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* sub = audit->add_subcommand(name, help);
  AddShared(sub, *flags, /*listing=*/true);
  CLI::Option* subject_option = sub->add_option(subject, flags->subject, subject_help)->required();
  if (subject == "--nhs") TakesNhsNumber(subject_option);
  sub->callback([run, flags, scope] {
    *run = [flags, scope](const Context& context) {
      return RunList(scope, *flags, context.WithReplayProjection(flags->projection));
    };
  });
}

}  // namespace

void RegisterAudit(CLI::App& app, Runner* run) {
  CLI::App* audit = app.add_subcommand(
      "audit",
      "The CMC team's audit trail: who read or changed which plan, when, from where, and what "
      "they were shown. Every audit query is itself recorded first");
  audit->require_subcommand(1);
  AddList(audit, run, "patient", "--nhs", careledger::v1::AUDIT_SCOPE_PATIENT,
          "A patient's full access and change history: who has looked at their plan",
          "Patient's NHS number");
  AddList(audit, run, "user", "--user", careledger::v1::AUDIT_SCOPE_USER,
          "Everything a user did, and every patient they touched", "The user id");
  AddList(audit, run, "org", "--org", careledger::v1::AUDIT_SCOPE_ORGANISATION,
          "Everything an organisation's users did", "The organisation's ODS code");

  auto flags = std::make_shared<AuditFlags>();
  CLI::App* access = audit->add_subcommand(
      "access",
      "One access or change, and the exact plan content that person was shown, rebuilt from "
      "the signed log and checked against the recorded hash");
  AddShared(access, *flags, /*listing=*/false);
  access->add_option("--partition", flags->partition, "The record's partition")->required();
  access->add_option("--offset", flags->offset, "The record's offset")->required();
  access->callback([run, flags] {
    *run = [flags](const Context& context) {
      return RunAccess(*flags, context.WithReplayProjection(flags->projection));
    };
  });
  RegisterAuditExport(audit, run);
  RegisterAuditProof(audit, run);
  RegisterAuditAlerts(audit, run);  // `audit alerts|review` (cmd_audit_alerts.cc)
  RegisterAuditCase(audit, run);    // `audit case ...` (cmd_audit_case.cc)
}

}  // namespace careledger::tools
