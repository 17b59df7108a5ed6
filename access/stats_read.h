// The CMC figures (`careledger stats`, GET /v1/stats; docs/governance.md
// "Statistics"): an audited query like the other audit queries.
//
// The order is audit_read.h's: the AuditQuery of scope STATISTICS (subject:
// the ODS code asked for, or ""; the range; `unsuppressed`) goes through the
// writer, which decides it (only the CMC team) and makes its record durable
// ("audit_statistics", or "audit_statistics_unsuppressed"; or the DENIED
// refusal) before anything is shown; only after a grant is the projection
// brought up to that record and the figures counted
// (projections/stats_queries.h).
//
// Small numbers: every count from 1 to 4 is shown as "<5" unless the query
// is `unsuppressed` (the CMC team's internal use, recorded as such). A
// share is shown only when both its count and the count it is a share of
// are shown as numbers (0 or at least 5); a median only when it rests on at
// least 5 plans (else "<5"). This is primary suppression: a total and all
// but one of its parts can still reveal the last (docs/governance.md).
#ifndef CARELEDGER_ACCESS_STATS_READ_H_
#define CARELEDGER_ACCESS_STATS_READ_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "access/plan_read.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/writer.h"
#include "projections/stats_queries.h"

namespace careledger::access {

// What a front end was asked for, as text.
struct StatisticsInput {
  std::string period = "month";  // "month" or "year"
  std::string from;              // a London day "YYYY-MM-DD", from its start; "" = unbounded
  std::string to;                // a London day, to its end (inclusive); "" = unbounded
  std::string organisation;      // an ODS code; "" = every organisation
  std::string review_on;         // a London day; "" = today in London
  bool unsuppressed = false;
};

// The request of `input`, also written into `query` (scope STATISTICS,
// subject, range, unsuppressed) so the record names what was asked. `prefix`
// is how the front end names its inputs ("--" for flags, "" for query
// parameters) in messages. INVALID_ARGUMENT for an unknown period, an
// unreadable day, an empty range or an ODS code that is not one.
absl::StatusOr<projections::StatisticsRequest> StatisticsRequestOf(
    const StatisticsInput& input, std::string_view prefix, careledger::v1::AuditQuery* query);

struct StatisticsRead {
  careledger::v1::CommandResult recorded;  // the query's record, or the refusal
  std::optional<projections::StatisticsFigures> figures;
  bool granted() const { return figures.has_value(); }
};

// Records `command` (an audit_query of scope STATISTICS made by
// StatisticsRequestOf) and, once granted, counts `request` from the feed's
// store. Errors as RecordAuditQuery's, or the store's.
absl::StatusOr<StatisticsRead> ReadStatistics(ledger::Writer& writer,
                                              const careledger::v1::Command& command,
                                              const projections::StatisticsRequest& request,
                                              ProjectionFeed& feed, absl::Time deadline);

// One line of the figures' table. `period` is "all" for the figures as of
// now, else "2026-01" or "2026"; `group` an organisation type, status or
// consent basis, or "all"; `value` a count, "<5", or a number of days;
// `share` a percentage ("66.7") or "".
struct StatisticsRow {
  std::string period;
  std::string figure;
  std::string group;
  std::string value;
  std::string share;
};

// "<5" for 1..4 when `suppress`, else the number.
std::string CountText(std::uint64_t count, bool suppress);

// The figures as rows, in a fixed order: the figures as of now, then each
// period's. Suppressed as above when `suppress`.
std::vector<StatisticsRow> StatisticsRows(const projections::StatisticsFigures& figures,
                                          const projections::StatisticsRequest& request,
                                          bool suppress);

// The answer as JSON: what was asked (organisation, period, from, to,
// review_on, suppressed) and the rows.
nlohmann::json StatisticsJson(const std::vector<StatisticsRow>& rows,
                              const projections::StatisticsRequest& request, bool suppress);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_STATS_READ_H_
