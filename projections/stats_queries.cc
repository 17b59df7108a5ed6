#include "projections/stats_queries.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "careledger/v1/projection.pb.h"
#include "events/time_util.h"
#include "projections/directory_queries.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

using careledger::v1::StatsPlan;

// Resolves organisation types from the directory, once per ODS code.
class OrganisationTypes {
 public:
  explicit OrganisationTypes(const ProjectionStore& store) : directory_(&store) {}

  absl::StatusOr<std::string> TypeOf(const std::string& ods_code) {
    if (auto it = types_.find(ods_code); it != types_.end()) return it->second;
    std::string type = "unknown";
    absl::StatusOr<careledger::v1::DirectoryOrganisation> found =
        directory_.GetOrganisation(ods_code);
    if (found.ok()) {
      type = FigureName(careledger::v1::OrganisationType_Name(found->organisation().type()),
                        "ORGANISATION_TYPE_");
    } else if (!absl::IsNotFound(found.status())) {
      return found.status();
    }
    return types_[ods_code] = type;
  }

 private:
  DirectoryQueries directory_;
  std::map<std::string, std::string> types_;
};

class Counter {
 public:
  Counter(const StatisticsRequest& request, StatisticsFigures* figures)
      : request_(request), figures_(figures) {}

  bool InRange(absl::Time time) const { return request_.from <= time && time < request_.to; }

  PeriodFigures& PeriodOf(absl::Time time) {
    const char* format = request_.period == StatsPeriod::kYear ? "%Y" : "%Y-%m";
    return figures_->periods[absl::FormatTime(format, time, request_.zone)];
  }

 private:
  const StatisticsRequest& request_;
  StatisticsFigures* figures_;
};

bool IsLive(careledger::v1::PlanStatus status) {
  return status == careledger::v1::PLAN_STATUS_PUBLISHED ||
         status == careledger::v1::PLAN_STATUS_EDITING;
}

absl::Status CountPlan(const StatsPlan& plan, const StatisticsRequest& request,
                       OrganisationTypes& types, Counter& counter, StatisticsFigures* figures) {
  figures->plans_by_status[FigureName(careledger::v1::PlanStatus_Name(plan.status()),
                                      "PLAN_STATUS_")] += 1;
  figures->consent_types[FigureName(careledger::v1::ConsentBasis_Name(plan.consent_basis()),
                                    "CONSENT_BASIS_")] += 1;
  if (IsLive(plan.status()) && plan.has_review_due()) {
    const absl::CivilDay due(plan.review_due().year(), plan.review_due().month(),
                             plan.review_due().day());
    if (due < request.review_on) ++figures->reviews_overdue;
  }
  absl::StatusOr<std::string> type = types.TypeOf(plan.started_by_organisation());
  if (!type.ok()) return type.status();
  const absl::Time started = events::FromTimestamp(plan.started_at());
  if (counter.InRange(started)) counter.PeriodOf(started).created[*type] += 1;
  if (plan.has_first_published_at()) {
    const absl::Time published = events::FromTimestamp(plan.first_published_at());
    if (counter.InRange(published)) {
      PeriodFigures& period = counter.PeriodOf(published);
      period.published[*type] += 1;
      period.time_to_publish.push_back(published - started);
    }
  }
  if (plan.has_death_recorded_at()) {
    const absl::Time died = events::FromTimestamp(plan.death_recorded_at());
    if (counter.InRange(died)) {
      PeriodFigures& period = counter.PeriodOf(died);
      period.deaths += 1;
      switch (plan.preferred_place_met()) {
        case careledger::v1::PREFERRED_PLACE_MET_FIRST:
          ++period.died_first;
          ++period.deaths_with_preference;
          break;
        case careledger::v1::PREFERRED_PLACE_MET_SECOND:
          ++period.died_second;
          ++period.deaths_with_preference;
          break;
        case careledger::v1::PREFERRED_PLACE_MET_NOT_MET:
          ++period.died_neither;
          ++period.deaths_with_preference;
          break;
        default:  // no preference recorded
          break;
      }
    }
  }
  return absl::OkStatus();
}

// The view keys' bound for `time`: "view/<its UTC hour>", or the end of the
// view keys for the infinite future.
std::string ViewBound(absl::Time time) {
  if (time == absl::InfiniteFuture()) return "view0";  // '0' follows '/'
  if (time == absl::InfinitePast()) return std::string(internal::kStatsViewPrefix);
  return std::string(internal::kStatsViewPrefix) +
         absl::FormatTime("%Y-%m-%dT%H", time, absl::UTCTimeZone());
}

}  // namespace

std::string FigureName(const std::string& enum_name, std::string_view prefix) {
  std::string name = enum_name.starts_with(prefix) ? enum_name.substr(prefix.size()) : enum_name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::optional<absl::Duration> Median(const std::vector<absl::Duration>& sorted) {
  if (sorted.empty()) return std::nullopt;
  const std::size_t middle = sorted.size() / 2;
  if (sorted.size() % 2 == 1) return sorted[middle];
  return (sorted[middle - 1] + sorted[middle]) / 2;
}

absl::StatusOr<StatisticsFigures> CountStatistics(const ProjectionStore& store,
                                                  const StatisticsRequest& request) {
  StatisticsFigures figures;
  OrganisationTypes types(store);
  Counter counter(request, &figures);
  absl::Status failed;
  absl::Status scanned =
      store.Scan(StoreFamily::kStats, internal::kStatsPlanPrefix,
                 [&](std::string_view key, std::string_view value) {
                   StatsPlan plan;
                   if (!plan.ParseFromString(std::string(value))) {
                     failed = absl::DataLossError(fmt::format(
                         "projection store: unreadable statistics row at key '{}'", key));
                     return false;
                   }
                   if (!request.organisation.empty() &&
                       plan.started_by_organisation() != request.organisation) {
                     return true;
                   }
                   failed = CountPlan(plan, request, types, counter, &figures);
                   return failed.ok();
                 });
  if (!scanned.ok()) return scanned;
  if (!failed.ok()) return failed;

  scanned =
      store.ScanRange(StoreFamily::kStats, ViewBound(request.from), ViewBound(request.to),
                      /*reverse=*/false, [&](std::string_view key, std::string_view value) {
                        // "view/" YYYY-MM-DDTHH "/" ODS
                        const std::string_view rest = key.substr(internal::kStatsViewPrefix.size());
                        absl::Time hour;
                        std::string error;
                        careledger::v1::StatsCount count;
                        if (rest.size() < 14 || rest[13] != '/' ||
                            !absl::ParseTime("%Y-%m-%dT%H", std::string(rest.substr(0, 13)),
                                             absl::UTCTimeZone(), &hour, &error) ||
                            !count.ParseFromString(std::string(value))) {
                          failed = absl::DataLossError(fmt::format(
                              "projection store: unreadable statistics count at key '{}'", key));
                          return false;
                        }
                        const std::string ods(rest.substr(14));
                        if (!request.organisation.empty() && ods != request.organisation)
                          return true;
                        absl::StatusOr<std::string> type = types.TypeOf(ods);
                        if (!type.ok()) {
                          failed = type.status();
                          return false;
                        }
                        counter.PeriodOf(hour).views[*type] += count.count();
                        return true;
                      });
  if (!scanned.ok()) return scanned;
  if (!failed.ok()) return failed;
  for (auto& [label, period] : figures.periods) {
    std::sort(period.time_to_publish.begin(), period.time_to_publish.end());
  }
  return figures;
}

}  // namespace careledger::projections
