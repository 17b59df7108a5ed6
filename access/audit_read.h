// The CMC team's audit queries: what `careledger audit ...` and the
// service's /v1/audit routes both do, in one place.
//
// Auditors are audited. The order is the contract, as for a plan read
// (plan_read.h):
//   1. the AuditQuery command goes through the writer, which decides it
//      (ledger/audit_rules.h: only the CMC team, meeting the access
//      prerequisites) and makes its access record ("audit_...", GRANTED, or
//      the DENIED refusal) durable on the log before it answers;
//   2. only after a grant is the projection brought up to include that
//      record (so the query is in its own answer when the range covers it),
//      and the trail, the alerts or the export is read from it.
// A refused query shows nothing: the outcome holds the writer's result only.
// Front ends add no role logic of their own: the ledger decides.
#ifndef CARELEDGER_ACCESS_AUDIT_READ_H_
#define CARELEDGER_ACCESS_AUDIT_READ_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/plan_read.h"
#include "access/trail_summary.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/writer.h"
#include "projections/audit_queries.h"
#include "projections/investigation.h"

namespace careledger::access {

// A time as the audit queries take it: RFC 3339 ("2026-06-15T09:30:00Z",
// "...+01:00"), "YYYY-MM-DDTHH:MM[:SS]" in UTC, or a day "YYYY-MM-DD" (UTC):
// its start, or its end with `end_of_day` (so from 2026-06-01 to 2026-06-30
// is June). INVALID_ARGUMENT naming `name` (the flag or parameter) otherwise.
absl::StatusOr<absl::Time> ParseWhen(std::string_view name, std::string_view text, bool end_of_day);

struct AuditRange {
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
};

// The range [from, to) of `from_text` and `to_text` ("" = unbounded), also
// set on `query` (range_from, range_to) so the record names what was asked.
// `prefix` is how front ends name the two ("--" for flags, "" for query
// parameters) in messages. INVALID_ARGUMENT for an unreadable time or an
// empty range.
absl::StatusOr<AuditRange> ParseAuditRange(std::string_view from_text, std::string_view to_text,
                                           std::string_view prefix,
                                           careledger::v1::AuditQuery* query);

// INVALID_ARGUMENT unless 1 <= limit <= kMaxAuditPageSize and the page token
// is "" or one a page handed out (40 hex digits).
absl::Status ValidateAuditPage(const projections::AuditPageRequest& request,
                               std::string_view prefix);

// The request of the investigation rules for `rule` ("" = every rule) with
// `thresholds` ("KEY=VALUE" each, projections::SetThreshold), over `range`.
// INVALID_ARGUMENT for an unknown rule or threshold, named with `prefix`.
absl::StatusOr<projections::InvestigationRequest> AlertsRequest(
    std::string_view rule, const std::vector<std::string>& thresholds, const AuditRange& range,
    std::string_view prefix);

// The alerts' order from its name: "risk" (or "", the queue's default:
// riskiest first) or "time". INVALID_ARGUMENT naming `prefix`order otherwise.
absl::StatusOr<projections::AlertOrder> ParseAlertOrder(std::string_view text,
                                                        std::string_view prefix);

// "patient", "user", "organisation", "access" or "alerts".
std::string ScopeName(careledger::v1::AuditScope scope);

// One page of the trail of a PATIENT, USER or ORGANISATION scope;
// INVALID_ARGUMENT for another scope.
absl::StatusOr<projections::AuditPage> ListScope(const projections::AuditQueries& queries,
                                                 careledger::v1::AuditScope scope,
                                                 const std::string& subject,
                                                 const projections::AuditPageRequest& request);

// Step 1 and 2 above for any command the ledger decides as an audit query
// (audit_query): submits `command`; a REJECTED result comes back as is,
// nothing else done. A granted one comes back after `feed` has applied its
// record. Errors: INVALID_ARGUMENT for a command that is not an AuditQuery
// (nothing appended); the writer's (UNAVAILABLE, ABORTED: nothing may be
// shown); ALREADY_EXISTS for a duplicate command id (a new query needs a new
// id); the feed's, or DEADLINE_EXCEEDED when the projection does not reach
// the record by `deadline` (the query is recorded; nothing is shown). A
// query the ledger would refuse as malformed (no subject, an invalid NHS
// number: ledger::AuditSubject) is INVALID_ARGUMENT before anything is
// submitted, so bad input appends nothing.
absl::StatusOr<careledger::v1::CommandResult> RecordAuditQuery(
    ledger::Writer& writer, const careledger::v1::Command& command, ProjectionFeed& feed,
    absl::Time deadline);

// Brings `feed` forward until its store has applied the record at
// `position` (partition, offset). DEADLINE_EXCEEDED past `deadline`.
absl::Status WaitForRecord(ProjectionFeed& feed, const careledger::v1::CommandResult& position,
                           absl::Time deadline);

// A page of a trail (`audit patient|user|org`): `command` holds an
// audit_query of scope PATIENT, USER or ORGANISATION (not for_export) whose
// range is `request`'s (ParseAuditRange). With `summarise`, also the summary
// of the whole trail over that same range (trail_summary.h), whichever page
// is asked for: part of the same recorded query, whose record already names
// the range, so it shows nothing the record does not cover. The summary is
// read from the projection just after the page: it also counts any entry of
// the range projected in between.
struct AuditTrailRead {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  std::optional<projections::AuditPage> page;
  std::optional<TrailSummary> summary;  // set when granted and asked for
  bool granted() const { return page.has_value(); }
};
absl::StatusOr<AuditTrailRead> ReadAuditTrail(ledger::Writer& writer,
                                              const careledger::v1::Command& command,
                                              const projections::AuditPageRequest& request,
                                              ProjectionFeed& feed, absl::Time deadline,
                                              bool summarise = false);

// The investigation rules' alerts (`audit alerts`): `command` holds an
// audit_query of scope ALERTS whose subject is the rule ("" = every rule)
// and whose range is `request`'s. A request for one user's alerts
// (`request.user_id`) is recorded as the same query: it shows a part of
// what the record covers, the alerts of the rule and range that name that
// user (projections/investigation.h, "One user's alerts").
struct AlertsRead {
  careledger::v1::CommandResult recorded;
  std::optional<projections::Investigation> found;
  bool granted() const { return found.has_value(); }
};
absl::StatusOr<AlertsRead> ReadAlerts(ledger::Writer& writer,
                                      const careledger::v1::Command& command,
                                      const projections::InvestigationRequest& request,
                                      ProjectionFeed& feed, absl::Time deadline);

// A whole trail leaving careledger (`audit export`): `command` holds an
// audit_query of scope PATIENT, USER or ORGANISATION with for_export set,
// over `range`. After the grant, every entry of the trail goes to `sink`
// oldest first, a page at a time (any length, in constant memory); the
// format is the front end's (tools/audit_export.h: FHIR or CSV).
struct AuditExport {
  careledger::v1::CommandResult recorded;
  bool granted = false;
  std::size_t exported = 0;
};
absl::StatusOr<AuditExport> ExportAuditTrail(
    ledger::Writer& writer, const careledger::v1::Command& command, const AuditRange& range,
    ProjectionFeed& feed, absl::Time deadline,
    const std::function<void(const careledger::v1::AuditEntry&)>& sink);

// ExportAuditTrail in two halves, for a front end that sends the trail after
// answering (the service streams it). RecordAuditExport: the checks and
// RecordAuditQuery (INVALID_ARGUMENT, nothing submitted, for a query that is
// no export of a trail). WriteTrail, only after a grant: every entry of `query`'s trail
// over `range` in `store` to `sink`, oldest first, a page at a time, until
// `sink` returns false; the number of entries handed over, or the store's
// error. With `annotate` false the entries come without their site and
// actor_name (projections/audit_queries.h), for a reader that shows neither.
absl::StatusOr<careledger::v1::CommandResult> RecordAuditExport(
    ledger::Writer& writer, const careledger::v1::Command& command, ProjectionFeed& feed,
    absl::Time deadline);
absl::StatusOr<std::size_t> WriteTrail(
    const projections::ProjectionStore& store, const careledger::v1::AuditQuery& query,
    const AuditRange& range, const std::function<bool(const careledger::v1::AuditEntry&)>& sink,
    bool annotate = true);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_AUDIT_READ_H_
