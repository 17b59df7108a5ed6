#include "access/stats_read.h"

#include <fmt/format.h>

#include "absl/time/civil_time.h"
#include "access/audit_read.h"
#include "events/time_util.h"
#include "ledger/audit_rules.h"

namespace careledger::access {
namespace {

using projections::PeriodFigures;
using projections::StatisticsFigures;
using projections::StatisticsRequest;

constexpr const char* kStatuses[] = {"draft",   "submitted", "published",
                                     "editing", "closed",    "withdrawn"};

bool Small(std::uint64_t count) { return count >= 1 && count <= 4; }

absl::StatusOr<absl::TimeZone> LondonZone() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Europe/London", &zone)) {
    return absl::FailedPreconditionError(
        "the Europe/London time zone cannot be loaded (install tzdata): statistics are by London "
        "month");
  }
  return zone;
}

absl::StatusOr<absl::CivilDay> ParseDay(std::string_view prefix, std::string_view name,
                                        const std::string& text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(
        fmt::format("{}{}: expected a day YYYY-MM-DD (London), got '{}'", prefix, name, text));
  }
  return day;
}

std::string Share(std::uint64_t count, std::uint64_t of, bool suppress) {
  if (of == 0 || (suppress && (Small(count) || Small(of)))) return "";
  return fmt::format("{:.1f}", 100.0 * static_cast<double>(count) / static_cast<double>(of));
}

void AddPeriod(const std::string& label, const PeriodFigures& period, bool suppress,
               std::vector<StatisticsRow>* rows) {
  auto add = [&](std::string figure, std::string group, std::string value, std::string share) {
    rows->push_back(StatisticsRow{label, std::move(figure), std::move(group), std::move(value),
                                  std::move(share)});
  };
  for (const auto& [type, count] : period.created) {
    add("plans_started", type, CountText(count, suppress), "");
  }
  for (const auto& [type, count] : period.published) {
    add("plans_published", type, CountText(count, suppress), "");
  }
  const std::uint64_t published = period.time_to_publish.size();
  if (std::optional<absl::Duration> median = projections::Median(period.time_to_publish)) {
    add("median_days_to_publication", "all",
        suppress && Small(published) ? "<5"
                                     : fmt::format("{:.1f}", absl::ToDoubleHours(*median) / 24.0),
        "");
  }
  for (const auto& [type, count] : period.views) {
    add("urgent_care_views", type, CountText(count, suppress), "");
  }
  add("deaths", "all", CountText(period.deaths, suppress), "");
  const std::uint64_t with = period.deaths_with_preference;
  add("deaths_with_preferred_place", "all", CountText(with, suppress), "");
  add("died_first_preference", "all", CountText(period.died_first, suppress),
      Share(period.died_first, with, suppress));
  add("died_second_preference", "all", CountText(period.died_second, suppress),
      Share(period.died_second, with, suppress));
  add("died_neither_preference", "all", CountText(period.died_neither, suppress),
      Share(period.died_neither, with, suppress));
}

}  // namespace

absl::StatusOr<StatisticsRequest> StatisticsRequestOf(const StatisticsInput& input,
                                                      std::string_view prefix,
                                                      careledger::v1::AuditQuery* query) {
  absl::StatusOr<absl::TimeZone> london = LondonZone();
  if (!london.ok()) return london.status();
  StatisticsRequest request;
  request.zone = *london;
  if (input.period == "month") {
    request.period = projections::StatsPeriod::kMonth;
  } else if (input.period == "year") {
    request.period = projections::StatsPeriod::kYear;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("{}period: expected month or year, got '{}'", prefix, input.period));
  }
  query->set_scope(careledger::v1::AUDIT_SCOPE_STATISTICS);
  query->set_subject(input.organisation);
  query->set_unsuppressed(input.unsuppressed);
  request.organisation = input.organisation;
  if (!input.from.empty()) {
    absl::StatusOr<absl::CivilDay> day = ParseDay(prefix, "from", input.from);
    if (!day.ok()) return day.status();
    request.from = absl::FromCivil(*day, *london);
    *query->mutable_range_from() = events::ToTimestamp(request.from);
  }
  if (!input.to.empty()) {
    absl::StatusOr<absl::CivilDay> day = ParseDay(prefix, "to", input.to);
    if (!day.ok()) return day.status();
    request.to = absl::FromCivil(*day + 1, *london);
    *query->mutable_range_to() = events::ToTimestamp(request.to);
  }
  if (request.from >= request.to) {
    return absl::InvalidArgumentError(
        fmt::format("{}from must be on or before {}to", prefix, prefix));
  }
  if (input.review_on.empty()) {
    request.review_on = absl::ToCivilDay(absl::Now(), *london);
  } else {
    absl::StatusOr<absl::CivilDay> day = ParseDay(prefix, "review-on", input.review_on);
    if (!day.ok()) return day.status();
    request.review_on = *day;
  }
  if (absl::StatusOr<std::string> subject = ledger::AuditSubject(*query); !subject.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}org: {}", prefix, std::string(subject.status().message())));
  }
  return request;
}

absl::StatusOr<StatisticsRead> ReadStatistics(ledger::Writer& writer,
                                              const careledger::v1::Command& command,
                                              const StatisticsRequest& request,
                                              ProjectionFeed& feed, absl::Time deadline) {
  if (command.audit_query().scope() != careledger::v1::AUDIT_SCOPE_STATISTICS) {
    return absl::InvalidArgumentError("statistics are read by an audit query of scope STATISTICS");
  }
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  StatisticsRead read;
  read.recorded = *std::move(recorded);
  if (read.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return read;
  absl::StatusOr<StatisticsFigures> figures = projections::CountStatistics(feed.store(), request);
  if (!figures.ok()) return figures.status();
  read.figures = *std::move(figures);
  return read;
}

std::string CountText(std::uint64_t count, bool suppress) {
  return suppress && Small(count) ? "<5" : fmt::format("{}", count);
}

std::vector<StatisticsRow> StatisticsRows(const StatisticsFigures& figures,
                                          const StatisticsRequest& request, bool suppress) {
  std::vector<StatisticsRow> rows;
  for (const char* status : kStatuses) {
    auto it = figures.plans_by_status.find(status);
    const std::uint64_t count = it == figures.plans_by_status.end() ? 0 : it->second;
    rows.push_back({"all", "plans_by_status", status, CountText(count, suppress), ""});
  }
  for (const auto& [basis, count] : figures.consent_types) {
    rows.push_back({"all", "consent_type", basis, CountText(count, suppress), ""});
  }
  rows.push_back({"all", "reviews_overdue", absl::FormatCivilTime(request.review_on),
                  CountText(figures.reviews_overdue, suppress), ""});
  for (const auto& [label, period] : figures.periods) AddPeriod(label, period, suppress, &rows);
  return rows;
}

nlohmann::json StatisticsJson(const std::vector<StatisticsRow>& rows,
                              const StatisticsRequest& request, bool suppress) {
  nlohmann::json answer;
  answer["organisation"] = request.organisation;
  answer["period"] = request.period == projections::StatsPeriod::kYear ? "year" : "month";
  answer["time_zone"] = "Europe/London";
  answer["from"] =
      request.from == absl::InfinitePast()
          ? nlohmann::json()
          : nlohmann::json(absl::FormatTime(absl::RFC3339_sec, request.from, absl::UTCTimeZone()));
  answer["to"] =
      request.to == absl::InfiniteFuture()
          ? nlohmann::json()
          : nlohmann::json(absl::FormatTime(absl::RFC3339_sec, request.to, absl::UTCTimeZone()));
  answer["review_on"] = absl::FormatCivilTime(request.review_on);
  answer["suppressed"] = suppress;
  nlohmann::json list = nlohmann::json::array();
  for (const StatisticsRow& row : rows) {
    list.push_back({{"period", row.period},
                    {"figure", row.figure},
                    {"group", row.group},
                    {"value", row.value},
                    {"share", row.share}});
  }
  answer["rows"] = std::move(list);
  return answer;
}

}  // namespace careledger::access
