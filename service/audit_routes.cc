// The CMC team's audit routes: what `careledger audit patient|user|org`,
// `audit alerts` and `audit export` answer, over HTTPS, through the same
// use-cases (access/audit_read.h). Each query is an AuditQuery decided and
// recorded by the ledger before anything is shown (only the CMC team may;
// this file adds no role logic); a refused one answers 403 after its DENIED
// record is durable. Bad parameters answer 400 and append nothing.
//
//   GET /v1/audit/{patients|users|organisations}/{subject}
//       ?purpose=&from=&to=&limit=&page=&order=oldest|newest&summary=true
//       (summary=true adds "summary": the whole trail over from/to counted,
//       whatever the page: access/trail_summary.h; without it the answer
//       is the page alone)
//   GET /v1/audit/{patients|users|organisations}/{subject}/export
//       ?purpose=&from=&to=&format=csv|fhir (or Accept: text/csv,
//       application/fhir+json)
//   GET /v1/audit/alerts?purpose=&from=&to=&rule=&user=&unreviewed=true&threshold=K=V...
//       (user=: only that user's records examined, through the by-user
//       index, and so only their alerts: projections/investigation.h)
//   GET /v1/audit/records/{partition}/{offset}?purpose=: one record, its
//       signature verified, and the content it showed rebuilt from the log
//       (access/audit_record.h, `careledger audit access`)
// (An auditor's review of an alert: alert_review_routes.cc.)
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "access/audit_read.h"
#include "access/audit_record.h"
#include "events/format.h"
#include "events/ids.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "ledger/nhs_number.h"
#include "projections/plan_queries.h"
#include "service/internal/service_impl.h"
#include "tools/audit_export.h"
#include "tools/output.h"

namespace careledger::service {
namespace {

using careledger::v1::AuditScope;
using careledger::v1::Command;
using careledger::v1::CommandResult;

nlohmann::json MessageJson(const google::protobuf::Message& message) {
  return nlohmann::json::parse(tools::ToJsonLine(message));
}

AuditScope ScopeOf(const std::string& collection) {
  if (collection == "patients") return careledger::v1::AUDIT_SCOPE_PATIENT;
  if (collection == "users") return careledger::v1::AUDIT_SCOPE_USER;
  return careledger::v1::AUDIT_SCOPE_ORGANISATION;
}

// A new AuditQuery command of `scope` about `subject`, its range from
// ?from= and ?to=, the purpose from ?purpose= (required, as for every read).
absl::StatusOr<access::AuditRange> NewQuery(const httplib::Request& request, AuditScope scope,
                                            const std::string& subject, Command* command) {
  const std::string purpose = request.get_param_value("purpose");
  if (purpose.empty()) {
    return absl::InvalidArgumentError("every read names its purpose of use: ?purpose=...");
  }
  command->set_command_id(events::RandomUuid());
  command->mutable_actor()->set_purpose(purpose);
  careledger::v1::AuditQuery* query = command->mutable_audit_query();
  query->set_scope(scope);
  query->set_subject(
      scope == careledger::v1::AUDIT_SCOPE_PATIENT ? ledger::NhsNumberAsEntered(subject) : subject);
  return access::ParseAuditRange(request.get_param_value("from"), request.get_param_value("to"), "",
                                 query);
}

// ?limit=, ?page= and ?order= into `page`.
absl::Status ParsePage(const httplib::Request& request, projections::AuditPageRequest* page) {
  if (request.has_param("limit")) {
    const std::string text = request.get_param_value("limit");
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), page->limit);
    if (error != std::errc() || end != text.data() + text.size()) {
      return absl::InvalidArgumentError(fmt::format("limit '{}' is not a number", text));
    }
  }
  page->page_token = request.get_param_value("page");
  const std::string order = request.get_param_value("order");
  if (!order.empty() && order != "oldest" && order != "newest") {
    return absl::InvalidArgumentError("order must be oldest or newest");
  }
  page->newest_first = order == "newest";
  return access::ValidateAuditPage(*page, "");
}

// "csv" or "fhir": ?format= if given, else from Accept; INVALID_ARGUMENT
// when neither says.
absl::StatusOr<std::string> ExportFormat(const httplib::Request& request) {
  std::string format = request.get_param_value("format");
  if (format.empty()) {
    const std::string accept = request.get_header_value("Accept");
    if (accept.find("text/csv") != std::string::npos) format = "csv";
    if (accept.find("application/fhir+json") != std::string::npos) format = "fhir";
  }
  if (format != "csv" && format != "fhir") {
    return absl::InvalidArgumentError(
        "an export is format=csv or format=fhir (or Accept: text/csv or application/fhir+json)");
  }
  return format;
}

bool ParseFlag(const httplib::Request& request, const std::string& name, bool* value) {
  const std::string text = request.get_param_value(name);
  if (text.empty() || text == "false") return true;
  if (text != "true") return false;
  *value = true;
  return true;
}

// As the entries' times read in JSON ("2026-06-15T09:30:00.123Z").
std::string TimeText(absl::Time time) {
  return google::protobuf::util::TimeUtil::ToString(events::ToTimestamp(time));
}

// The summary as the API shows it (docs/openapi.json, AuditTrailSummary).
nlohmann::json SummaryJson(const access::TrailSummary& summary) {
  nlohmann::json looked = nlohmann::json::array();
  for (const access::Looker& looker : summary.who_looked) {
    looked.push_back({{"organisation", looker.organisation},
                      {"user_id", looker.user_id},
                      {"role", looker.role},
                      {"actor_name", looker.name},
                      {"reads", looker.reads},
                      {"refusals", looker.refusals}});
  }
  nlohmann::json busiest = nlohmann::json::array();
  for (const access::BusyUser& user : summary.busiest) {
    busiest.push_back({{"user_id", user.user_id},
                       {"role", user.role},
                       {"reads", user.reads},
                       {"refusals", user.refusals},
                       {"patients", user.patients}});
  }
  const bool any = summary.entries > 0;
  return {{"entries", summary.entries},
          {"reads", summary.reads},
          {"refusals", summary.refusals},
          {"changes", summary.changes},
          {"audit_queries", summary.audit_queries},
          {"break_glass", summary.break_glass},
          {"patients", summary.patients},
          {"first_at", any ? TimeText(summary.first_at) : ""},
          {"last_at", any ? TimeText(summary.last_at) : ""},
          {"time_zone", summary.time_zone},
          {"by_weekday_hour", summary.by_weekday_hour},
          {"who_looked", std::move(looked)},
          {"busiest", std::move(busiest)}};
}

}  // namespace

// Answers a use-case's failure or a refusal; false when there is nothing
// to show.
bool Service::Impl::AuditAnswered(httplib::Response& response, const absl::Status& status,
                                  const CommandResult* recorded) {
  if (!status.ok()) {
    if (absl::IsAborted(status)) fenced = true;
    // A malformed query (ledger::AuditSubject) never reached the writer.
    if (!absl::IsInvalidArgument(status)) metrics.CountWriterOutcome("failed");
    Problem(response, HttpStatusOf(status), "Audit query not completed",
            std::string(status.message()));
    return true;
  }
  if (recorded->outcome() == careledger::v1::OUTCOME_REJECTED) {
    metrics.CountWriterOutcome("rejected");
    ProblemAt(response, 403, "Audit query refused", recorded->error(), *recorded);
    return true;
  }
  metrics.CountWriterOutcome("applied");
  return false;
}

bool Service::Impl::AdmitRecordQuery(const httplib::Request& request, httplib::Response& response,
                                     careledger::v1::EventPosition* position, Command* command) {
  position->set_partition(std::stoi(request.matches[1]));
  position->set_offset(std::stoll(request.matches[2]));
  const std::string purpose = request.get_param_value("purpose");
  if (purpose.empty()) {
    Problem(response, 400, "Bad audit query", "every read names its purpose of use: ?purpose=...");
    return false;
  }
  command->set_command_id(events::RandomUuid());
  command->mutable_actor()->set_purpose(purpose);
  // What Admit records for a refused caller: the query as far as it is
  // known before the record is read.
  command->mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_ACCESS);
  command->mutable_audit_query()->set_subject(
      fmt::format("{}/{}", position->partition(), position->offset()));
  auth::Caller caller;
  return Admit(request, response, command, &caller);
}

absl::StatusOr<access::LogLookup> Service::Impl::ParkedLookup() {
  absl::StatusOr<std::vector<std::int64_t>> ends =
      projections::PlanQueries(&projection->store()).Offsets();
  if (!ends.ok()) return ends.status();
  absl::StatusOr<access::LogLookup> lookup = access::LogLookup::Open(log.get(), *ends);
  if (lookup.ok()) lookup->set_data_keys(data_keys.get());
  return lookup;
}

void Service::Impl::AddAuditRoutes() {
  server->Get(
      R"(/v1/audit/(patients|users|organisations)/([^/]+))",
      [this](const httplib::Request& request, httplib::Response& response) {
        const AuditScope scope = ScopeOf(request.matches[1]);
        Command command;
        absl::StatusOr<access::AuditRange> range =
            NewQuery(request, scope, request.matches[2], &command);
        if (!range.ok()) {
          return Problem(response, 400, "Bad audit query", std::string(range.status().message()));
        }
        projections::AuditPageRequest page;
        page.from = range->from;
        page.to = range->to;
        if (absl::Status parsed = ParsePage(request, &page); !parsed.ok()) {
          return Problem(response, 400, "Bad audit query", std::string(parsed.message()));
        }
        bool summarise = false;
        if (!ParseFlag(request, "summary", &summarise)) {
          return Problem(response, 400, "Bad audit query", "summary must be true or false");
        }
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<access::AuditTrailRead> read =
            access::ReadAuditTrail(*writer, command, page, *projection, deadline, summarise);
        if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) {
          return;
        }
        nlohmann::json body;
        body["scope"] = access::ScopeName(scope);
        body["subject"] = command.audit_query().subject();
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& entry : read->page->entries) entries.push_back(MessageJson(entry));
        body["entries"] = std::move(entries);
        body["next_page_token"] = read->page->next_page_token;
        if (read->summary.has_value()) body["summary"] = SummaryJson(*read->summary);
        body["access"] = Receipt(read->recorded);
        Json(response, 200, JsonText(body));
      });

  server->Get(
      R"(/v1/audit/(patients|users|organisations)/([^/]+)/export)",
      [this](const httplib::Request& request, httplib::Response& response) {
        const AuditScope scope = ScopeOf(request.matches[1]);
        Command command;
        absl::StatusOr<access::AuditRange> range =
            NewQuery(request, scope, request.matches[2], &command);
        absl::StatusOr<std::string> format =
            range.ok() ? ExportFormat(request) : absl::StatusOr<std::string>(range.status());
        if (!format.ok()) {
          return Problem(response, 400, "Bad audit export", std::string(format.status().message()));
        }
        command.mutable_audit_query()->set_for_export(true);
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<CommandResult> recorded =
            access::RecordAuditExport(*writer, command, *projection, deadline);
        if (AuditAnswered(response, recorded.status(), recorded.ok() ? &*recorded : nullptr)) {
          return;
        }
        response.set_header("Careledger-Access",
                            fmt::format("partition={}; offset={}; stream_id={}; stream_seq={}",
                                        recorded->partition(), recorded->offset(),
                                        recorded->stream_id(), recorded->stream_seq()));
        response.status = 200;
        // Granted and recorded: the trail is streamed a page at a time, in
        // the CLI's format (tools/audit_export.h). A failure part way ends
        // the response without its final chunk, so it reads as incomplete.
        const bool fhir = *format == "fhir";
        const careledger::v1::AuditQuery query = command.audit_query();
        const access::AuditRange asked = *range;
        response.set_chunked_content_provider(
            fhir ? "application/fhir+json" : "text/csv; charset=utf-8",
            [this, fhir, query, asked](std::size_t, httplib::DataSink& sink) {
              tools::FhirExportOptions options;
              options.ledger = ledger_name;
              options.server_address = tools::LocalHostName();
              std::optional<tools::FhirBundleWriter> bundle;
              if (fhir) {
                bundle.emplace(&sink.os, options);
              } else {
                sink.os << tools::CsvHeader();
              }
              absl::StatusOr<std::size_t> written = access::WriteTrail(
                  projection->store(), query, asked, [&](const careledger::v1::AuditEntry& entry) {
                    if (fhir) {
                      bundle->Add(entry);
                    } else {
                      sink.os << tools::CsvRow(entry);
                    }
                    return sink.is_writable() && sink.os.good();
                  });
              if (!written.ok() || !sink.os.good()) return false;
              if (fhir) bundle->Finish();
              sink.os.flush();
              sink.done();
              return true;
            });
      });

  server->Get(
      "/v1/audit/alerts", [this](const httplib::Request& request, httplib::Response& response) {
        const std::string rule = request.get_param_value("rule");
        Command command;
        absl::StatusOr<access::AuditRange> range =
            NewQuery(request, careledger::v1::AUDIT_SCOPE_ALERTS, rule, &command);
        if (!range.ok()) {
          return Problem(response, 400, "Bad audit query", std::string(range.status().message()));
        }
        std::vector<std::string> thresholds;
        for (std::size_t i = 0; i < request.get_param_value_count("threshold"); ++i) {
          thresholds.push_back(request.get_param_value("threshold", i));
        }
        absl::StatusOr<projections::InvestigationRequest> investigation =
            access::AlertsRequest(rule, thresholds, *range, "");
        bool unreviewed = false;
        if (!investigation.ok() || !ParseFlag(request, "unreviewed", &unreviewed)) {
          return Problem(response, 400, "Bad audit query",
                         investigation.ok() ? "unreviewed must be true or false"
                                            : std::string(investigation.status().message()));
        }
        absl::StatusOr<projections::AlertOrder> order =
            access::ParseAlertOrder(request.get_param_value("order"), "");
        if (!order.ok()) {
          return Problem(response, 400, "Bad audit query", std::string(order.status().message()));
        }
        investigation->order = *order;
        investigation->user_id = request.get_param_value("user");
        auth::Caller caller;
        if (!Admit(request, response, &command, &caller)) return;
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<access::AlertsRead> read =
            access::ReadAlerts(*writer, command, *investigation, *projection, deadline);
        if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) return;
        const projections::Investigation& found = *read->found;
        nlohmann::json listed = nlohmann::json::array();
        std::size_t open = 0;
        for (const careledger::v1::Alert& alert : found.alerts) {
          if (!alert.has_review()) ++open;
          if (unreviewed && alert.has_review()) continue;
          listed.push_back(MessageJson(alert));
        }
        nlohmann::json values = nlohmann::json::object();
        for (const auto& [key, value] : projections::ThresholdValues(investigation->thresholds)) {
          values[key] = value;
        }
        nlohmann::json body;
        body["alerts"] = std::move(listed);
        body["unreviewed"] = open;
        body["records_examined"] = found.records_examined;
        body["time_zone"] = found.time_zone;
        body["notes"] = found.notes;
        body["thresholds"] = std::move(values);
        body["access"] = Receipt(read->recorded);
        Json(response, 200, JsonText(body));
      });

  server->Get(
      R"(/v1/audit/records/([0-9]{1,9})/([0-9]{1,18}))",
      [this](const httplib::Request& request, httplib::Response& response) {
        careledger::v1::EventPosition position;
        Command command;
        if (!AdmitRecordQuery(request, response, &position, &command)) return;
        // A lookup of its own: an audit of one record is rare, and reads
        // several records of the plan's stream.
        absl::StatusOr<access::LogLookup> lookup = ParkedLookup();
        if (!lookup.ok()) {
          return Problem(response, HttpStatusOf(lookup.status()), "Audit query not completed",
                         std::string(lookup.status().message()));
        }
        const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
        absl::StatusOr<access::AuditRecordRead> read = access::ReadAuditRecord(
            *writer, command, position, *projection, *lookup, *keyring, deadline);
        if (AuditAnswered(response, read.status(), read.ok() ? &read->recorded : nullptr)) return;
        nlohmann::json body;
        body["entry"] = MessageJson(read->entry);
        body["record"] = {{"partition", position.partition()},
                          {"offset", position.offset()},
                          {"stream_id", read->record.event.stream_id()},
                          {"stream_seq", read->record.event.stream_seq()},
                          {"key_id", read->record.signed_event.key_id()},
                          {"value_hash", events::HashHex(read->record.value_hash)},
                          {"signature", "verified"}};
        if (read->content.has_value()) {
          const access::Rebuilt& content = *read->content;
          nlohmann::json sources = nlohmann::json::array();
          for (const auto& source : content.records) sources.push_back(MessageJson(source));
          body["content"] = {
              {"what", content.what},
              {"content_hash", absl::BytesToHexString(events::HashBytes(content.hash))},
              {"verified", content.checked},
              {"rebuilt_from", std::move(sources)},
              {"plan", MessageJson(content.plan)}};
        }
        body["access"] = Receipt(read->recorded);
        Json(response, 200, JsonText(body));
      });
}

}  // namespace careledger::service
