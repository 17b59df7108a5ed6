#include "access/audit_read.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

#include "events/time_util.h"
#include "ledger/audit_rules.h"
#include "projections/plan_queries.h"

namespace careledger::access {
namespace {

using careledger::v1::AuditScope;
using careledger::v1::CommandResult;

bool IsTrailScope(AuditScope scope) {
  return scope == careledger::v1::AUDIT_SCOPE_PATIENT ||
         scope == careledger::v1::AUDIT_SCOPE_USER ||
         scope == careledger::v1::AUDIT_SCOPE_ORGANISATION;
}

constexpr std::size_t kExportPageSize = 1000;

}  // namespace

absl::StatusOr<absl::Time> ParseWhen(std::string_view name, std::string_view text,
                                     bool end_of_day) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &time, &error)) {
    return end_of_day ? time + absl::Hours(24) : time;
  }
  for (const char* format : {absl::RFC3339_full, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                             "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"}) {
    if (absl::ParseTime(format, std::string(text), absl::UTCTimeZone(), &time, &error)) return time;
  }
  return absl::InvalidArgumentError(fmt::format(
      "{} '{}' is not a time: use YYYY-MM-DD or ISO 8601 (2026-06-15T09:30:00Z)", name, text));
}

absl::StatusOr<AuditRange> ParseAuditRange(std::string_view from_text, std::string_view to_text,
                                           std::string_view prefix,
                                           careledger::v1::AuditQuery* query) {
  AuditRange range;
  if (!from_text.empty()) {
    absl::StatusOr<absl::Time> parsed =
        ParseWhen(fmt::format("{}from", prefix), from_text, /*end_of_day=*/false);
    if (!parsed.ok()) return parsed.status();
    range.from = *parsed;
    *query->mutable_range_from() = events::ToTimestamp(*parsed);
  }
  if (!to_text.empty()) {
    absl::StatusOr<absl::Time> parsed =
        ParseWhen(fmt::format("{}to", prefix), to_text, /*end_of_day=*/true);
    if (!parsed.ok()) return parsed.status();
    range.to = *parsed;
    *query->mutable_range_to() = events::ToTimestamp(*parsed);
  }
  if (range.from >= range.to) {
    return absl::InvalidArgumentError(fmt::format("{0}from must be before {0}to", prefix));
  }
  return range;
}

absl::Status ValidateAuditPage(const projections::AuditPageRequest& request,
                               std::string_view prefix) {
  if (request.limit == 0 || request.limit > projections::kMaxAuditPageSize) {
    return absl::InvalidArgumentError(
        fmt::format("{}limit must be 1 to {}", prefix, projections::kMaxAuditPageSize));
  }
  if (!request.page_token.empty() &&
      (request.page_token.size() != 40 ||
       request.page_token.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return absl::InvalidArgumentError(
        fmt::format("{}page '{}' is not a page token (pass back a page's next_page_token)", prefix,
                    request.page_token));
  }
  return absl::OkStatus();
}

absl::StatusOr<projections::InvestigationRequest> AlertsRequest(
    std::string_view rule, const std::vector<std::string>& thresholds, const AuditRange& range,
    std::string_view prefix) {
  projections::InvestigationRequest request;
  request.from = range.from;
  request.to = range.to;
  for (const std::string& assignment : thresholds) {
    if (absl::Status set = projections::SetThreshold(assignment, &request.thresholds); !set.ok()) {
      return set;
    }
  }
  if (rule.empty()) return request;
  if (std::find(projections::kInvestigationRules.begin(), projections::kInvestigationRules.end(),
                rule) == projections::kInvestigationRules.end()) {
    return absl::InvalidArgumentError(
        fmt::format("{}rule '{}' is not a rule (rules: {})", prefix, rule,
                    fmt::join(projections::kInvestigationRules, ", ")));
  }
  request.rules.emplace_back(rule);
  return request;
}

absl::StatusOr<projections::AlertOrder> ParseAlertOrder(std::string_view text,
                                                        std::string_view prefix) {
  if (text.empty() || text == "risk") return projections::AlertOrder::kRisk;
  if (text == "time") return projections::AlertOrder::kTime;
  return absl::InvalidArgumentError(
      fmt::format("{}order '{}' is not an order (risk, time)", prefix, text));
}

std::string ScopeName(AuditScope scope) {
  switch (scope) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      return "patient";
    case careledger::v1::AUDIT_SCOPE_USER:
      return "user";
    case careledger::v1::AUDIT_SCOPE_ORGANISATION:
      return "organisation";
    case careledger::v1::AUDIT_SCOPE_ALERTS:
      return "alerts";
    default:
      return "access";
  }
}

absl::StatusOr<projections::AuditPage> ListScope(const projections::AuditQueries& queries,
                                                 AuditScope scope, const std::string& subject,
                                                 const projections::AuditPageRequest& request) {
  switch (scope) {
    case careledger::v1::AUDIT_SCOPE_PATIENT:
      return queries.ListByPatient(subject, request);
    case careledger::v1::AUDIT_SCOPE_USER:
      return queries.ListByUser(subject, request);
    case careledger::v1::AUDIT_SCOPE_ORGANISATION:
      return queries.ListByOrganisation(subject, request);
    default:
      return absl::InvalidArgumentError(fmt::format(
          "an audit trail is listed by patient, user or organisation, not {}", ScopeName(scope)));
  }
}

absl::Status WaitForRecord(ProjectionFeed& feed, const CommandResult& position,
                           absl::Time deadline) {
  if (feed.replay()) return absl::OkStatus();
  const auto partition = static_cast<std::size_t>(position.partition());
  for (;;) {
    absl::StatusOr<std::vector<std::int64_t>> offsets =
        projections::PlanQueries(&feed.store()).Offsets();
    if (!offsets.ok()) return offsets.status();
    if (partition < offsets->size() && (*offsets)[partition] > position.offset()) {
      return absl::OkStatus();
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          "the projection did not reach the recorded query in time; the query is recorded, "
          "nothing is shown");
    }
    if (absl::Status advanced = feed.Advance(deadline); !advanced.ok()) return advanced;
  }
}

absl::StatusOr<CommandResult> RecordAuditQuery(ledger::Writer& writer,
                                               const careledger::v1::Command& command,
                                               ProjectionFeed& feed, absl::Time deadline) {
  if (!command.has_audit_query()) {
    return absl::InvalidArgumentError("an audit read takes an audit_query command");
  }
  if (absl::StatusOr<std::string> subject = ledger::AuditSubject(command.audit_query());
      !subject.ok()) {
    return subject.status();
  }
  absl::StatusOr<CommandResult> result = writer.Submit(command);
  if (!result.ok()) return result.status();
  if (result->outcome() == careledger::v1::OUTCOME_REJECTED) return result;
  if (result->outcome() == careledger::v1::OUTCOME_DUPLICATE) {
    return absl::AlreadyExistsError(
        fmt::format("command {} was already answered; a new query needs a new command id",
                    result->command_id()));
  }
  if (absl::Status reached = WaitForRecord(feed, *result, deadline); !reached.ok()) {
    return reached;
  }
  return result;
}

absl::StatusOr<AuditTrailRead> ReadAuditTrail(ledger::Writer& writer,
                                              const careledger::v1::Command& command,
                                              const projections::AuditPageRequest& request,
                                              ProjectionFeed& feed, absl::Time deadline,
                                              bool summarise) {
  const careledger::v1::AuditQuery& query = command.audit_query();
  if (!IsTrailScope(query.scope()) || query.for_export()) {
    return absl::InvalidArgumentError(
        "a trail is read by patient, user or organisation (an export: ExportAuditTrail)");
  }
  if (absl::Status valid = ValidateAuditPage(request, ""); !valid.ok()) return valid;
  absl::StatusOr<CommandResult> recorded = RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  AuditTrailRead read;
  read.recorded = *std::move(recorded);
  if (read.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return read;
  projections::AuditQueries queries(&feed.store());
  absl::StatusOr<projections::AuditPage> page =
      ListScope(queries, query.scope(), query.subject(), request);
  if (!page.ok()) return page.status();
  read.page = *std::move(page);
  if (summarise) {
    absl::StatusOr<TrailSummary> summary =
        SummariseTrail(feed.store(), query, AuditRange{request.from, request.to});
    if (!summary.ok()) return summary.status();
    read.summary = *std::move(summary);
  }
  return read;
}

absl::StatusOr<AlertsRead> ReadAlerts(ledger::Writer& writer,
                                      const careledger::v1::Command& command,
                                      const projections::InvestigationRequest& request,
                                      ProjectionFeed& feed, absl::Time deadline) {
  if (command.audit_query().scope() != careledger::v1::AUDIT_SCOPE_ALERTS) {
    return absl::InvalidArgumentError("alerts are read by an audit query of scope ALERTS");
  }
  absl::StatusOr<CommandResult> recorded = RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  AlertsRead read;
  read.recorded = *std::move(recorded);
  if (read.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return read;
  absl::StatusOr<projections::Investigation> found =
      projections::Investigate(feed.store(), request);
  if (!found.ok()) return found.status();
  read.found = *std::move(found);
  return read;
}

absl::StatusOr<CommandResult> RecordAuditExport(ledger::Writer& writer,
                                                const careledger::v1::Command& command,
                                                ProjectionFeed& feed, absl::Time deadline) {
  const careledger::v1::AuditQuery& query = command.audit_query();
  if (!IsTrailScope(query.scope()) || !query.for_export()) {
    return absl::InvalidArgumentError(
        "an export is of a patient's, a user's or an organisation's trail, marked for_export");
  }
  return RecordAuditQuery(writer, command, feed, deadline);
}

absl::StatusOr<AuditExport> ExportAuditTrail(
    ledger::Writer& writer, const careledger::v1::Command& command, const AuditRange& range,
    ProjectionFeed& feed, absl::Time deadline,
    const std::function<void(const careledger::v1::AuditEntry&)>& sink) {
  const careledger::v1::AuditQuery& query = command.audit_query();
  absl::StatusOr<CommandResult> recorded = RecordAuditExport(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  AuditExport exported;
  exported.recorded = *std::move(recorded);
  if (exported.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return exported;
  exported.granted = true;
  absl::StatusOr<std::size_t> written =
      WriteTrail(feed.store(), query, range, [&](const careledger::v1::AuditEntry& entry) {
        sink(entry);
        return true;
      });
  if (!written.ok()) return written.status();
  exported.exported = *written;
  return exported;
}

absl::StatusOr<std::size_t> WriteTrail(
    const projections::ProjectionStore& store, const careledger::v1::AuditQuery& query,
    const AuditRange& range, const std::function<bool(const careledger::v1::AuditEntry&)>& sink,
    bool annotate) {
  projections::AuditQueries queries(&store);
  projections::AuditPageRequest request;
  request.from = range.from;
  request.to = range.to;
  request.limit = kExportPageSize;
  request.annotate = annotate;
  std::size_t written = 0;
  for (;;) {
    absl::StatusOr<projections::AuditPage> page =
        ListScope(queries, query.scope(), query.subject(), request);
    if (!page.ok()) return page.status();
    for (const careledger::v1::AuditEntry& entry : page->entries) {
      if (!sink(entry)) return written;
      ++written;
    }
    if (page->next_page_token.empty()) return written;
    request.page_token = page->next_page_token;
  }
}

}  // namespace careledger::access
