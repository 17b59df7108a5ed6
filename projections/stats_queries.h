// The CMC figures (docs/governance.md "Statistics"), counted from the
// `stats` family (stats_projection.h) and the directory, as the projection
// holds them when called.
//
// Two kinds of figure:
//   as of now, over every started plan (of the organisation asked for):
//     plans by status, consent types, plans with a review overdue on
//     `review_on` (published or editing, review date before that day);
//   per period (a London calendar month or year), over what happened in
//     [from, to): plans started and plans first published, by the type of
//     the organisation that started them; the time from start (the first
//     draft) to first publication of the plans published in the period,
//     kept whole so the median is exact; urgent-care views by the type of
//     the reading organisation; deaths recorded, and of those with a
//     preferred place of death recorded, how many died in their first
//     preference, their second, or neither.
// An organisation filter keeps plans started by that ODS code and views by
// its users. Organisation types are the directory's now; "unknown" for an
// ODS code the directory does not hold.
//
// Counts are exact; suppressing small numbers is the front ends' job
// (access/stats_read.h). Cost: one scan of the plan rows and of the view
// counts in [from, to), plus one directory lookup per organisation.
// Thread safety: as the store's.
#ifndef CARELEDGER_PROJECTIONS_STATS_QUERIES_H_
#define CARELEDGER_PROJECTIONS_STATS_QUERIES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "projections/projection_store.h"

namespace careledger::projections {

enum class StatsPeriod { kMonth, kYear };

struct StatisticsRequest {
  StatsPeriod period = StatsPeriod::kMonth;
  // Period figures count what happened in [from, to). Both must be whole
  // hours (or infinite).
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  std::string organisation;                   // an ODS code; "" = every organisation
  absl::CivilDay review_on;                   // a review dated before this day is overdue
  absl::TimeZone zone = absl::UTCTimeZone();  // of the periods (Europe/London)
};

struct PeriodFigures {
  std::map<std::string, std::uint64_t> created;    // by starting organisation type
  std::map<std::string, std::uint64_t> published;  // first publications, likewise
  std::vector<absl::Duration> time_to_publish;     // of those published, sorted
  std::map<std::string, std::uint64_t> views;      // urgent-care views, by reading org type
  std::uint64_t deaths = 0;
  std::uint64_t deaths_with_preference = 0;  // FIRST + SECOND + NOT_MET
  std::uint64_t died_first = 0;
  std::uint64_t died_second = 0;
  std::uint64_t died_neither = 0;
};

struct StatisticsFigures {
  std::map<std::string, std::uint64_t> plans_by_status;  // "draft", "published", ...
  std::map<std::string, std::uint64_t> consent_types;    // "patient", "best_interest", ...
  std::uint64_t reviews_overdue = 0;
  std::map<std::string, PeriodFigures> periods;  // "2026-01" or "2026", in order
};

// The figures of `request`. Errors: the store's (DATA_LOSS for an
// unreadable row).
absl::StatusOr<StatisticsFigures> CountStatistics(const ProjectionStore& store,
                                                  const StatisticsRequest& request);

// The median of `sorted` (the mean of the middle two for an even count);
// nullopt when empty.
std::optional<absl::Duration> Median(const std::vector<absl::Duration>& sorted);

// "gp_practice", "ambulance_service", ...: an enum value's name without its
// prefix ("ORGANISATION_TYPE_"), in lower case.
std::string FigureName(const std::string& enum_name, std::string_view prefix);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_STATS_QUERIES_H_
